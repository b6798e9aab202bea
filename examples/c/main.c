/* main.c - a plain C program using simdnorm: LayerNorm and RMSNorm of a
 * small matrix, with the status checked after every call. Build it against
 * an installed simdnorm with
 *   cc main.c $(pkg-config --cflags --libs simdnorm) -o example */
#include <stdio.h>

#include <simdnorm.h>

enum { ROWS = 2, COLS = 5 };

static int check(const char *what, simdnorm_status s)
{
    if (s != SIMDNORM_OK)
        fprintf(stderr, "%s failed: %s\n", what, simdnorm_status_str(s));
    return s == SIMDNORM_OK;
}

int main(void)
{
    const float x[ROWS][COLS] = {{1, 2, 3, 4, 5}, {-2, 0, 2, 4, 6}};
    const float gamma[COLS] = {1, 1, 1, 1, 2};
    const float beta[COLS] = {0, 0, 0, 0, 0.5f};
    float y[ROWS][COLS], mean[ROWS], rstd[ROWS];

    printf("simdnorm %s (header %d.%d.%d), ISA %s\n", simdnorm_version(),
           SIMDNORM_VERSION_MAJOR, SIMDNORM_VERSION_MINOR, SIMDNORM_VERSION_PATCH,
           simdnorm_isa_name(simdnorm_active_isa()));

    if (!check("simdnorm_layer_norm_f32",
               simdnorm_layer_norm_f32(ROWS, COLS, &x[0][0], COLS, gamma, beta, 1e-5f,
                                       &y[0][0], COLS, mean, rstd)))
        return 1;
    for (int r = 0; r < ROWS; r++) {
        printf("layer_norm row %d: mean %g rstd %.6f y", r, mean[r], rstd[r]);
        for (int c = 0; c < COLS; c++)
            printf(" %.6f", y[r][c]);
        printf("\n");
    }

    /* in place: y == x with the same stride */
    float z[COLS] = {3, 4, 0, 0, 0};
    if (!check("simdnorm_rms_norm_f32",
               simdnorm_rms_norm_f32(1, COLS, z, COLS, NULL, 0.0f, z, COLS, NULL)))
        return 1;
    printf("rms_norm in place:");
    for (int c = 0; c < COLS; c++)
        printf(" %.6f", z[c]);
    printf("\n");

    /* a bad argument is reported, and nothing is written */
    const simdnorm_status s =
        simdnorm_layer_norm_f32(ROWS, COLS, &x[0][0], COLS - 1, NULL, NULL, 1e-5f, &y[0][0],
                                COLS, NULL, NULL);
    printf("stride < cols: %s\n", simdnorm_status_str(s));
    return s == SIMDNORM_ERR_SHAPE ? 0 : 1;
}
