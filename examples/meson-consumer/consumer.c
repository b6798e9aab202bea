/* consumer.c - RMSNorm of one row through simdnorm, from a Meson project. */
#include <stdio.h>

#include <simdnorm.h>

int main(void)
{
    const float x[4] = {1, -1, 1, -1};
    float y[4], rstd;
    const simdnorm_status s = simdnorm_rms_norm_f32(1, 4, x, 4, NULL, 0.0f, y, 4, &rstd);
    printf("simdnorm %s on %s: %s, y[0] = %g, rstd = %g\n", simdnorm_version(),
           simdnorm_isa_name(simdnorm_active_isa()), simdnorm_status_str(s), y[0], rstd);
    return s == SIMDNORM_OK && y[0] == 1.0f && rstd == 1.0f ? 0 : 1;
}
