// consumer.cpp - a C++ program using simdnorm's C header: LayerNorm of one
// row into a std::vector, the status and the version checked.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include <simdnorm.h>

int main()
{
    const std::vector<float> x = {2.0f, 4.0f, 4.0f, 4.0f, 5.0f, 5.0f, 7.0f, 9.0f};
    std::vector<float> y(x.size());
    float mean = 0.0f, rstd = 0.0f;
    const simdnorm_status s = simdnorm_layer_norm_f32(1, x.size(), x.data(), x.size(), nullptr,
                                                      nullptr, 0.0f, y.data(), y.size(),
                                                      &mean, &rstd);
    std::printf("simdnorm %s from C++: %s, mean %g, rstd %g, y[0] %g\n", simdnorm_version(),
                simdnorm_status_str(s), mean, rstd, y[0]);
    char want[32];
    std::snprintf(want, sizeof want, "%d.%d.%d", SIMDNORM_VERSION_MAJOR, SIMDNORM_VERSION_MINOR,
                  SIMDNORM_VERSION_PATCH);
    // mean 5, variance 4: rstd 1/2 and y[0] = (2 - 5) / 2, all exact in float
    return s == SIMDNORM_OK && mean == 5.0f && rstd == 0.5f && y[0] == -1.5f &&
                   std::strcmp(simdnorm_version(), want) == 0
               ? 0
               : 1;
}
