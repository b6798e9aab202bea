/* status.c - messages for the status codes. */
#include "simdnorm.h"

const char *simdnorm_status_str(simdnorm_status s)
{
    switch (s) {
    case SIMDNORM_OK: return "success";
    case SIMDNORM_ERR_NULL: return "a required pointer is NULL";
    case SIMDNORM_ERR_SHAPE: return "bad shape: zero size, stride smaller than a row, or size overflow";
    case SIMDNORM_ERR_PARAM: return "bad parameter: eps, momentum or an enum value out of range";
    case SIMDNORM_ERR_ISA: return "ISA not compiled in or not runnable on this CPU";
    case SIMDNORM_ERR_OVERLAP: return "an output overlaps an input or another output";
    case SIMDNORM_ERR_NOMEM: return "out of memory for scratch space";
    }
    return "unknown status";
}
