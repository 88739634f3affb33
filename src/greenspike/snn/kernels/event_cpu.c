/* Event-driven Linear + LIF for inference on the CPU, over all time steps in one call.
 *
 * For each sample b and step t, the inputs that are not zero (the events) are gathered once;
 * then, per block of output neurons, the weight rows of those inputs only are added up
 * (weights stored input-major, [K, N], so each event reads one contiguous row), and the neuron
 * update of the layer that follows runs on the sum:
 *
 *     c[n] = sum over events k of x[k] * w[k, n]   (+ bias[n])
 *     h = beta * v + c;  s = H(h - threshold);  v = reset(h, s);  v = grid(v) (fixed point)
 *
 * int8 weights accumulate in int32 and are scaled once per neuron: c = acc * scale[n].
 * The output is the spikes s, or the membrane (a leaky integrator: no threshold, no reset).
 * Built with -ffp-contract=off: each product and sum rounds as in PyTorch's arithmetic. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum reset_mode { RESET_SUBTRACT = 0, RESET_ZERO = 1, RESET_NONE = 2 };
enum output_kind { OUT_SPIKES = 0, OUT_MEMBRANE = 1 };

/* Output neurons per block: the block's accumulators and membranes stay in L1. */
#define BLOCK 256
/* Inputs scanned at once for events: a chunk of zeros costs one vector OR. */
#define CHUNK 32

/* The events of each row of x [R, K]: counts[r], indices idx[r * K ...], values val[r * K ...];
 * graded[r] is 1 when some event is not exactly 1. Returns the number of events in all rows. */
static int64_t gather(const float *x, int64_t R, int64_t K, int64_t *counts, int32_t *idx,
                      float *val, uint8_t *graded, int threads)
{
    int64_t total = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : total)
    for (int64_t r = 0; r < R; r++) {
        const float *row = x + r * K;
        int32_t *ri = idx + r * K;
        float *rv = val + r * K;
        int64_t c = 0;
        uint8_t g = 0;
        for (int64_t k0 = 0; k0 < K; k0 += CHUNK) {
            const int64_t end = K - k0 < CHUNK ? K : k0 + CHUNK;
            uint32_t any = 0; /* skip a chunk whose bits are all zero (most, at low rates) */
            for (int64_t k = k0; k < end; k++) {
                uint32_t bits;
                memcpy(&bits, row + k, sizeof bits);
                any |= bits;
            }
            if (!any) continue;
            for (int64_t k = k0; k < end; k++) {
                float xv = row[k];
                if (xv != 0) {
                    ri[c] = (int32_t)k;
                    rv[c] = xv;
                    g |= xv != 1;
                    c++;
                }
            }
        }
        counts[r] = c;
        graded[r] = g;
        total += c;
    }
    return total;
}

/* The neuron update of one step for n neurons from their input currents c; reset, output and
 * gridded are constants where it is inlined, so each variant compiles to a branch-free loop. */
static inline __attribute__((always_inline)) void
update(const int reset, const int output, const int gridded, const float *restrict c,
       const float *restrict bias, const float *restrict beta, const float *restrict th,
       float *restrict v, float *restrict out, float grid, float grid_top, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float h = beta[i] * v[i] + (c[i] + bias[i]);
        float s = (h - th[i]) > 0 ? 1.0f : 0.0f;
        float after = h;
        if (output == OUT_SPIKES) {
            if (reset == RESET_SUBTRACT) after = s > 0 ? h - th[i] : h;
            else if (reset == RESET_ZERO) after = s > 0 ? 0.0f : h;
        }
        if (gridded) { /* fixed-point state: clamp(round(v / grid), -top, top) * grid */
            float clipped = fmaxf(fminf(after, grid_top), -grid_top);
            after = nearbyintf(clipped / grid) * grid;
        }
        v[i] = after;
        out[i] = output == OUT_SPIKES ? s : after;
    }
}

/* `update` with its mode as constants: one specialised loop per (output, reset, gridded). */
static void update_any(int reset, int output, int gridded, const float *c, const float *bias,
                       const float *beta, const float *th, float *v, float *out, float grid,
                       float grid_top, int64_t n)
{
#define U(R, O, G) update(R, O, G, c, bias, beta, th, v, out, grid, grid_top, n)
#define U_GRID(R, O) do { if (gridded) U(R, O, 1); else U(R, O, 0); } while (0)
    if (output == OUT_MEMBRANE) U_GRID(RESET_NONE, OUT_MEMBRANE);
    else if (reset == RESET_SUBTRACT) U_GRID(RESET_SUBTRACT, OUT_SPIKES);
    else if (reset == RESET_ZERO) U_GRID(RESET_ZERO, OUT_SPIKES);
    else U_GRID(RESET_NONE, OUT_SPIKES);
#undef U_GRID
#undef U
}

/* The whole layer: x [T, B, K] -> out [T, B, N]; v [B, N] holds the membranes on entry and
 * after the last step on exit. w is [K, N] float (w8 NULL) or int8 (w NULL, with scale [N]);
 * with neither, the layer is the neurons alone and x [T, B, N] holds their input currents.
 * bias [N] (zeros for none). grid > 0 rounds the state to that step, saturating at grid_top.
 * Returns the number of events (weight rows added), -1 when memory ran out, or -2 (nothing
 * run, v untouched) when int8 weights meet an input that is not 0 or 1. */
static int64_t run(const float *x, const float *w, const int8_t *w8, const float *scale,
                   const float *bias, const float *beta, const float *th, float *v, float *out,
                   int64_t T, int64_t B, int64_t K, int64_t N, int reset, int output, float grid,
                   float grid_top, int threads)
{
    const int64_t R = T * B;
    const int64_t lists = (w || w8) && R * K ? R * K : 1;
    int64_t *counts = malloc(sizeof(int64_t) * (R ? R : 1));
    int32_t *idx = malloc(sizeof(int32_t) * lists);
    float *val = malloc(sizeof(float) * lists);
    uint8_t *graded = malloc(R ? R : 1);
    if (!counts || !idx || !val || !graded) {
        free(counts); free(idx); free(val); free(graded);
        return -1;
    }
    const int currents = !w && !w8; /* no synapses: x holds the currents themselves */
    const int64_t total = currents ? 0 : gather(x, R, K, counts, idx, val, graded, threads);
    if (w8) { /* int8 sums count spikes: an input of another value cannot be run */
        for (int64_t r = 0; r < R; r++) {
            if (graded[r]) {
                free(counts); free(idx); free(val); free(graded);
                return -2;
            }
        }
    }
    const int64_t blocks = (N + BLOCK - 1) / BLOCK;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t task = 0; task < B * blocks; task++) {
        const int64_t b = task / blocks, j0 = (task % blocks) * BLOCK;
        const int64_t n = N - j0 < BLOCK ? N - j0 : BLOCK;
        float c[BLOCK];
        int32_t acc[BLOCK];
        float *vb = v + b * N + j0;
        for (int64_t t = 0; t < T; t++) {
            const int64_t r = t * B + b, count = currents ? 0 : counts[r];
            const int32_t *ri = idx + r * K;
            const float *rv = val + r * K;
            if (currents) {
                for (int64_t i = 0; i < n; i++) c[i] = x[r * K + j0 + i];
            } else if (w8) { /* binary events only (the caller checks): int32 sums, one scale each */
                for (int64_t i = 0; i < n; i++) acc[i] = 0;
                for (int64_t e = 0; e < count; e++) {
                    const int8_t *row = w8 + (int64_t)ri[e] * N + j0;
                    for (int64_t i = 0; i < n; i++) acc[i] += row[i];
                }
                for (int64_t i = 0; i < n; i++) c[i] = (float)acc[i] * scale[j0 + i];
            } else {
                for (int64_t i = 0; i < n; i++) c[i] = 0;
                if (graded[r]) {
                    for (int64_t e = 0; e < count; e++) {
                        const float *row = w + (int64_t)ri[e] * N + j0;
                        const float xv = rv[e];
                        for (int64_t i = 0; i < n; i++) c[i] += xv * row[i];
                    }
                } else {
                    for (int64_t e = 0; e < count; e++) {
                        const float *row = w + (int64_t)ri[e] * N + j0;
                        for (int64_t i = 0; i < n; i++) c[i] += row[i];
                    }
                }
            }
            update_any(reset, output, grid > 0, c, bias + j0, beta + j0, th + j0, vb,
                       out + r * N + j0, grid, grid_top, n);
        }
    }
    free(counts); free(idx); free(val); free(graded);
    return total;
}

int64_t event_linear_lif_f32(const float *x, const float *w, const float *bias,
                             const float *beta, const float *th, float *v, float *out, int64_t T,
                             int64_t B, int64_t K, int64_t N, int reset, int output, float grid,
                             float grid_top, int threads)
{
    return run(x, w, NULL, NULL, bias, beta, th, v, out, T, B, K, N, reset, output, grid,
               grid_top, threads);
}

int64_t event_linear_lif_i8(const float *x, const int8_t *w, const float *scale,
                            const float *bias, const float *beta, const float *th, float *v,
                            float *out, int64_t T, int64_t B, int64_t K, int64_t N, int reset,
                            int output, float grid, float grid_top, int threads)
{
    return run(x, NULL, w, scale, bias, beta, th, v, out, T, B, K, N, reset, output, grid,
               grid_top, threads);
}
