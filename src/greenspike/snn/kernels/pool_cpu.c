/* 2x2 max pooling with stride 2 for the CPU, with PyTorch's results: one pass forward, one
 * pass backward, OpenMP across planes. The rules are documented in kernels/pool.py. */
#include <stdint.h>
#include <string.h>

/* Forward over planes [P, H, W] (contiguous): out [P, H/2, W/2] and, unless where is NULL,
 * the window position of each maximum, 0-3 in row-major order: the first maximum, as PyTorch.
 * Returns nonzero when an input is NaN or infinite (where PyTorch's NaN rules may differ from
 * these comparisons: the caller then uses PyTorch). Branch-free: a branch per comparison would
 * mispredict half the time. */
#define POOL_FORWARD(REAL, SUFFIX)                                                            \
    int pool_forward_##SUFFIX(const REAL *x, int64_t planes, int64_t h, int64_t w, REAL *out,  \
                              uint8_t *where, int threads) {                                   \
        const int64_t oh = h / 2, ow = w / 2;                                                  \
        int bad = 0;                                                                           \
        _Pragma("omp parallel for schedule(static) num_threads(threads) reduction(| : bad)")   \
        for (int64_t p = 0; p < planes; p++) {                                                 \
            for (int64_t i = 0; i < oh; i++) {                                                 \
                const REAL *r0 = x + (p * h + 2 * i) * w, *r1 = r0 + w;                        \
                const int64_t o = (p * oh + i) * ow;                                           \
                for (int64_t j = 0; j < ow; j++) {                                             \
                    const REAL a = r0[2 * j], b = r0[2 * j + 1];                               \
                    const REAL c = r1[2 * j], d = r1[2 * j + 1];                               \
                    const int right0 = b > a, right1 = d > c;                                  \
                    const REAL m0 = right0 ? b : a, m1 = right1 ? d : c;                       \
                    const int down = m1 > m0;                                                  \
                    out[o + j] = down ? m1 : m0;                                               \
                    const int right = (right1 & down) | (right0 & !down);                      \
                    if (where) where[o + j] = (uint8_t)((down << 1) | right);                  \
                    const REAL finite = (a - a) + (b - b) + (c - c) + (d - d);                 \
                    bad |= finite != finite;                                                   \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
        return bad;                                                                            \
    }

/* Backward: grad_x [P, H, W] (every value written) from grad_out [P, H/2, W/2] and where:
 * zeros, and 0 + g at each maximum (so -0 becomes +0), as PyTorch's backward adds it. */
#define POOL_BACKWARD(REAL, SUFFIX)                                                           \
    void pool_backward_##SUFFIX(const REAL *grad_out, const uint8_t *where, int64_t planes,   \
                                int64_t h, int64_t w, REAL *grad_x, int threads) {            \
        const int64_t oh = h / 2, ow = w / 2;                                                  \
        _Pragma("omp parallel for schedule(static) num_threads(threads)")                      \
        for (int64_t p = 0; p < planes; p++) {                                                 \
            REAL *plane = grad_x + p * h * w;                                                  \
            memset(plane, 0, sizeof(REAL) * h * w);                                            \
            for (int64_t i = 0; i < oh; i++) {                                                 \
                REAL *r0 = plane + 2 * i * w;                                                  \
                const int64_t o = (p * oh + i) * ow;                                           \
                for (int64_t j = 0; j < ow; j++) {                                             \
                    const uint8_t k = where[o + j];                                            \
                    r0[(k >> 1) * w + 2 * j + (k & 1)] = (REAL)0 + grad_out[o + j];            \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

POOL_FORWARD(float, f32)
POOL_FORWARD(double, f64)
POOL_BACKWARD(float, f32)
POOL_BACKWARD(double, f64)
