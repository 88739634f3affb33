/* LIF kernels for one floating-point type REAL; functions are named NAME(...). */

/* v after the reset, from the membrane h before it and the spike s (0 or 1). */
static inline __attribute__((always_inline)) REAL
NAME(after_reset)(const int reset, REAL h, REAL s, REAL th)
{
    if (reset == RESET_SUBTRACT) return s > 0 ? h - th : h;
    if (reset == RESET_ZERO) return s > 0 ? (REAL)0 : h;
    return h;
}

static inline __attribute__((always_inline)) void
NAME(forward_block)(const int reset, const REAL *x, const REAL *beta, const REAL *th, REAL *v,
                    REAL *spikes, REAL *h_out, int64_t T, int64_t N, int64_t n)
{
    for (int64_t t = 0; t < T; t++) {
        const REAL *xt = x + t * N;
        REAL *st = spikes + t * N;
        REAL *ht = h_out ? h_out + t * N : 0;
        for (int64_t i = 0; i < n; i++) {
            REAL h = beta[i] * v[i] + xt[i];
            REAL s = (h - th[i]) > 0 ? (REAL)1 : (REAL)0;
            st[i] = s;
            if (ht) ht[i] = h;
            v[i] = NAME(after_reset)(reset, h, s, th[i]);
        }
    }
}

/* Forward: x [T, N] -> spikes [T, N]; v [N] holds v[0] on entry and v[T] on exit; h_out
 * (optional, [T, N]) receives the membrane before each reset, all the backward needs. */
void NAME(lif_forward)(const REAL *x, const REAL *beta, const REAL *th, REAL *v, REAL *spikes,
                       REAL *h_out, int64_t T, int64_t N, int reset, int threads)
{
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t b = 0; b < N; b += BLOCK) {
        int64_t n = N - b < BLOCK ? N - b : BLOCK;
        REAL *hb = h_out ? h_out + b : 0;
        if (reset == RESET_SUBTRACT)
            NAME(forward_block)(RESET_SUBTRACT, x + b, beta + b, th + b, v + b, spikes + b, hb,
                                T, N, n);
        else if (reset == RESET_ZERO)
            NAME(forward_block)(RESET_ZERO, x + b, beta + b, th + b, v + b, spikes + b, hb, T,
                                N, n);
        else
            NAME(forward_block)(RESET_NONE, x + b, beta + b, th + b, v + b, spikes + b, hb, T,
                                N, n);
    }
}

/* out[i] = g'(h[i] - th[i]), the surrogate derivative at one step. */
static void NAME(surrogate_row)(int kind, REAL p, const REAL *h, const REAL *th, REAL *out,
                                int64_t n)
{
    switch (kind) {
    case ATAN: {
        const REAL k = (REAL)(M_PI / 2) * p, half = p / 2;
        for (int64_t i = 0; i < n; i++) {
            REAL z = k * (h[i] - th[i]);
            out[i] = half / (1 + z * z);
        }
        break;
    }
    case FAST_SIGMOID:
        for (int64_t i = 0; i < n; i++) {
            REAL d = 1 + p * fabs(h[i] - th[i]);
            out[i] = 1 / (d * d);
        }
        break;
    case SIGMOID:
        for (int64_t i = 0; i < n; i++) {
            REAL s = 1 / (1 + exp(-p * (h[i] - th[i])));
            out[i] = p * s * (1 - s);
        }
        break;
    case TRIANGLE:
        for (int64_t i = 0; i < n; i++) {
            REAL r = 1 - fabs(h[i] - th[i]) / p;
            out[i] = (r > 0 ? r : 0) / p;
        }
        break;
    default:
        for (int64_t i = 0; i < n; i++) out[i] = 1;
    }
}

static inline __attribute__((always_inline)) void
NAME(backward_block)(const int reset, const int detach, int kind, REAL p, const REAL *h,
                     const REAL *grad_s, REAL *gv, const REAL *beta, const REAL *th,
                     const REAL *v0, REAL *grad_x, REAL *grad_beta, REAL *grad_th, int64_t T,
                     int64_t N, int64_t n)
{
    for (int64_t t = T - 1; t >= 0; t--) {
        const REAL *ht = h + t * N, *gst = grad_s + t * N;
        const REAL *hp = t > 0 ? h + (t - 1) * N : 0;
        REAL *gxt = grad_x + t * N;
        NAME(surrogate_row)(kind, p, ht, th, gxt, n); /* gxt holds g' until overwritten */
        for (int64_t i = 0; i < n; i++) {
            REAL hh = ht[i], sg = gxt[i], g = gv[i];
            REAL s = (hh - th[i]) > 0 ? (REAL)1 : (REAL)0;
            REAL gs = gst[i], gh, gt;
            if (reset == RESET_SUBTRACT) {
                if (!detach) gs -= g * th[i];
                gh = g + gs * sg;
                gt = -gs * sg - g * s;
            } else if (reset == RESET_ZERO) {
                if (!detach) gs -= g * hh;
                gh = g * (1 - s) + gs * sg;
                gt = -gs * sg;
            } else {
                gh = g + gs * sg;
                gt = -gs * sg;
            }
            REAL v_prev;
            if (hp) {
                REAL sp = (hp[i] - th[i]) > 0 ? (REAL)1 : (REAL)0;
                v_prev = NAME(after_reset)(reset, hp[i], sp, th[i]);
            } else {
                v_prev = v0[i];
            }
            gxt[i] = gh;
            if (grad_beta) grad_beta[i] += gh * v_prev;
            if (grad_th) grad_th[i] += gt;
            gv[i] = gh * beta[i];
        }
    }
}

/* Backward through the whole sequence, from the saved membranes h [T, N] and v[0] (v0 [N]).
 * gv [N] holds dL/dv[T] on entry and dL/dv[0] on exit; grad_x [T, N] receives dL/dx;
 * grad_beta and grad_th ([N], optional) accumulate the per-neuron gradients. */
void NAME(lif_backward)(const REAL *h, const REAL *grad_s, REAL *gv, const REAL *beta,
                        const REAL *th, const REAL *v0, REAL *grad_x, REAL *grad_beta,
                        REAL *grad_th, int64_t T, int64_t N, int reset, int detach, int kind,
                        double param, int threads)
{
    const REAL p = (REAL)param;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t b = 0; b < N; b += BLOCK) {
        int64_t n = N - b < BLOCK ? N - b : BLOCK;
        REAL *gb = grad_beta ? grad_beta + b : 0, *gt = grad_th ? grad_th + b : 0;
#define BACKWARD(R, D)                                                                           \
    NAME(backward_block)(R, D, kind, p, h + b, grad_s + b, gv + b, beta + b, th + b, v0 + b,     \
                         grad_x + b, gb, gt, T, N, n)
        if (reset == RESET_SUBTRACT && !detach) BACKWARD(RESET_SUBTRACT, 0);
        else if (reset == RESET_SUBTRACT) BACKWARD(RESET_SUBTRACT, 1);
        else if (reset == RESET_ZERO && !detach) BACKWARD(RESET_ZERO, 0);
        else if (reset == RESET_ZERO) BACKWARD(RESET_ZERO, 1);
        else BACKWARD(RESET_NONE, 0);
#undef BACKWARD
    }
}
