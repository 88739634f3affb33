/* LIF kernels for one floating-point type REAL; functions are named NAME(...). */

/* v after the reset, from the membrane h before it and the spike s (0 or 1). */
static inline __attribute__((always_inline)) REAL
NAME(after_reset)(const int reset, REAL h, REAL s, REAL th)
{
    if (reset == RESET_SUBTRACT) return s > 0 ? h - th : h;
    if (reset == RESET_ZERO) return s > 0 ? (REAL)0 : h;
    return h;
}

/* The values of the block of n neurons from neuron b: `values + b` (stride 1, one value per
 * neuron), or the one shared value copied n times into `local` (stride 0). */
static inline __attribute__((always_inline)) const REAL *
NAME(block_values)(const REAL *values, int64_t stride, int64_t b, int64_t n, REAL *local)
{
    if (stride) return values + b;
    for (int64_t i = 0; i < n; i++) local[i] = values[0];
    return local;
}

/* The membrane of a step after the reset its neuron owes from the previous step (reset_delay):
 * a = beta * u_prev + x, and the neuron fired at the previous step when u_prev > th. */
static inline __attribute__((always_inline)) REAL
NAME(owed_reset)(const int reset, REAL a, REAL u_prev, REAL th)
{
    const int owed = (u_prev - th) > 0;
    if (reset == RESET_SUBTRACT) return owed ? a - th : a;
    if (reset == RESET_ZERO) return owed ? (REAL)0 : a;
    return a;
}

/* The recurrence over T steps for n neurons. Row t of the input starts at x + t * xs (xs is the
 * row length N, or 0 for an input that is the same at every step), row t of out at
 * out + t * os; v [n] carries the membrane through time (with delay: the membrane that fired,
 * its reset owed to the next step). Writes the spikes, or (write_h) the membrane h before each
 * reset, into out. Returns 1 if an input value is not finite. */
static inline __attribute__((always_inline)) int
NAME(run_block)(const int reset, const int delay, const int write_h, const REAL *x, int64_t xs,
                const REAL *beta, const REAL *th, REAL *v, REAL *out, int64_t os, int64_t T,
                int64_t n)
{
    int bad = 0;
    for (int64_t t = 0; t < T; t++) {
        const REAL *xt = x + t * xs;
        REAL *ot = out + t * os;
        for (int64_t i = 0; i < n; i++) {
            REAL xi = xt[i];
            bad |= (xi - xi) != 0; /* NaN exactly when xi is infinite or NaN */
            REAL h = beta[i] * v[i] + xi;
            if (delay) h = NAME(owed_reset)(reset, h, v[i], th[i]);
            REAL s = (h - th[i]) > 0 ? (REAL)1 : (REAL)0;
            ot[i] = write_h ? h : s;
            v[i] = delay ? h : NAME(after_reset)(reset, h, s, th[i]);
        }
    }
    return bad;
}

static int NAME(run)(int reset, int delay, int write_h, const REAL *x, int64_t xs,
                     const REAL *beta, const REAL *th, REAL *v, REAL *out, int64_t os, int64_t T,
                     int64_t n)
{
#define RUN(R, D, W) return NAME(run_block)(R, D, W, x, xs, beta, th, v, out, os, T, n)
#define RUN_DELAY(R, W)                                                                          \
    do {                                                                                         \
        if (delay) RUN(R, 1, W);                                                                 \
        RUN(R, 0, W);                                                                            \
    } while (0)
    if (reset == RESET_SUBTRACT) {
        if (write_h) RUN_DELAY(RESET_SUBTRACT, 1);
        RUN_DELAY(RESET_SUBTRACT, 0);
    }
    if (reset == RESET_ZERO) {
        if (write_h) RUN_DELAY(RESET_ZERO, 1);
        RUN_DELAY(RESET_ZERO, 0);
    }
    if (write_h) RUN_DELAY(RESET_NONE, 1);
    RUN_DELAY(RESET_NONE, 0);
#undef RUN_DELAY
#undef RUN
}

/* Forward: x [T, N] (rows xs apart: N, or 0 for the same input at every step) -> out [T, N]:
 * the spikes, or (write_h) the membranes before each reset. beta and th hold one value per
 * neuron (stride 1) or one for all (stride 0); v starts from v0 [N] (NULL: zeros) and holds
 * v[T] [N] on exit. delay: a spike's reset is applied at the next step (reset_delay). Returns 1
 * if an input value is not finite (the outputs are then meaningless). */
int NAME(lif_forward)(const REAL *x, int64_t xs, const REAL *beta, int64_t bs, const REAL *th,
                      int64_t ts, const REAL *v0, REAL *v, REAL *out, int64_t T, int64_t N,
                      int reset, int delay, int write_h, int threads)
{
    int bad = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(| : bad)
    for (int64_t b = 0; b < N; b += BLOCK) {
        int64_t n = N - b < BLOCK ? N - b : BLOCK;
        REAL beta_block[BLOCK], th_block[BLOCK];
        const REAL *bb = NAME(block_values)(beta, bs, b, n, beta_block);
        const REAL *tb = NAME(block_values)(th, ts, b, n, th_block);
        for (int64_t i = 0; i < n; i++) v[b + i] = v0 ? v0[b + i] : 0;
        bad |= NAME(run)(reset, delay, write_h, x + b, xs, bb, tb, v + b, out + b, N, T, n);
    }
    return bad;
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

/* One step back for n neurons. Row ht holds h[t]; hp holds h[t-1] (v[t-1] is v0 when first,
 * and hp is not read); gst is dL/ds[t] (one value for all when broadcast); sg the surrogate
 * derivatives; gv: dL/dv[t] in, dL/dv[t-1] out. dL/dx[t] overwrites ht, or (sum) is added to
 * gsum. The arrays never overlap (restrict). */
static inline __attribute__((always_inline)) void
NAME(backward_row)(const int reset, const int detach, const int broadcast, const int sum,
                   const int first, const REAL *restrict sg, REAL *restrict ht,
                   const REAL *restrict hp, const REAL *restrict v0, const REAL *restrict gst,
                   REAL *restrict gv, const REAL *restrict beta, const REAL *restrict th,
                   REAL *restrict gsum, REAL *restrict grad_beta, REAL *restrict grad_th,
                   int64_t n)
{
    const REAL gs_all = gst[0];
    for (int64_t i = 0; i < n; i++) {
        REAL hh = ht[i], g = gv[i];
        REAL s = (hh - th[i]) > 0 ? (REAL)1 : (REAL)0;
        REAL gs = broadcast ? gs_all : gst[i], gh, gt;
        if (reset == RESET_SUBTRACT) {
            if (!detach) gs -= g * th[i];
            gh = g + gs * sg[i];
            gt = -gs * sg[i] - g * s;
        } else if (reset == RESET_ZERO) {
            if (!detach) gs -= g * hh;
            gh = g * (1 - s) + gs * sg[i];
            gt = -gs * sg[i];
        } else {
            gh = g + gs * sg[i];
            gt = -gs * sg[i];
        }
        REAL v_prev = first ? v0[i]
                            : NAME(after_reset)(reset, hp[i],
                                                (hp[i] - th[i]) > 0 ? (REAL)1 : (REAL)0, th[i]);
        if (sum)
            gsum[i] += gh;
        else
            ht[i] = gh;
        grad_beta[i] += gh * v_prev;
        grad_th[i] += gt;
        gv[i] = gh * beta[i];
    }
}

/* Back through time for n neurons whose membranes h [T, n] are in rows hs apart: row t is
 * read, then (unless sum) overwritten with dL/dx[t]; row t - 1 is still h, as needed for
 * v[t-1]. With sum, dL/dx is summed over time into gsum [n] instead. */
static inline __attribute__((always_inline)) void
NAME(backward_block)(const int reset, const int detach, const int broadcast, const int sum,
                     int kind, REAL p, const REAL *grad_s, int64_t gs_t, REAL *gv,
                     const REAL *beta, const REAL *th, const REAL *v0, REAL *h, int64_t hs,
                     REAL *gsum, REAL *grad_beta, REAL *grad_th, int64_t T, int64_t n)
{
    REAL sg[BLOCK];
    for (int64_t t = T - 1; t >= 0; t--) {
        REAL *ht = h + t * hs;
        NAME(surrogate_row)(kind, p, ht, th, sg, n);
        if (t > 0)
            NAME(backward_row)(reset, detach, broadcast, sum, 0, sg, ht, ht - hs, v0,
                               grad_s + t * gs_t, gv, beta, th, gsum, grad_beta, grad_th, n);
        else
            NAME(backward_row)(reset, detach, broadcast, sum, 1, sg, ht, NULL, v0, grad_s, gv,
                               beta, th, gsum, grad_beta, grad_th, n);
    }
}

/* Back through time with the reset delayed, for n neurons whose membranes u [T, n] (rows hs
 * apart, the membranes that fired) are in h: row t is read, then (unless sum) overwritten with
 * dL/dx[t]; with sum, dL/dx is summed over time into gsum [n]. With a = beta * u[t-1] + x[t]
 * and r = H(u[t-1] - th) the reset owed:
 *   subtract: u[t] = a - r * th;  zero: u[t] = (1 - r) * a;  none: u[t] = a
 * and r's surrogate derivative (unless detach) carries dL/dr back into u[t-1] and th. */
static inline __attribute__((always_inline)) void
NAME(backward_block_delayed)(const int reset, const int detach, const int broadcast,
                             const int sum, int kind, REAL p, const REAL *x, int64_t xs,
                             const REAL *grad_s, int64_t gs_t, REAL *gv, const REAL *beta,
                             const REAL *th, const REAL *v0, REAL *h, int64_t hs, REAL *gsum,
                             REAL *grad_beta, REAL *grad_th, int64_t T, int64_t n)
{
    REAL rows[2][BLOCK];
    REAL *sg = rows[0], *sg_prev = rows[1];
    NAME(surrogate_row)(kind, p, h + (T - 1) * hs, th, sg, n);
    for (int64_t t = T - 1; t >= 0; t--) {
        REAL *ut = h + t * hs;
        const REAL *up = t > 0 ? ut - hs : v0;
        const REAL *xt = x + t * xs;
        const REAL *gst = grad_s + t * gs_t;
        const REAL gs_all = gst[0];
        NAME(surrogate_row)(kind, p, up, th, sg_prev, n);
        for (int64_t i = 0; i < n; i++) {
            const REAL u_prev = up[i];
            const REAL gs = broadcast ? gs_all : gst[i];
            const REAL g = gv[i] + gs * sg[i]; /* dL/du[t] */
            const REAL r = (u_prev - th[i]) > 0 ? (REAL)1 : (REAL)0;
            REAL ga, gr, gt = -gs * sg[i];
            if (reset == RESET_SUBTRACT) {
                ga = g;
                gr = -g * th[i];
                gt -= g * r;
            } else if (reset == RESET_ZERO) {
                ga = g * (1 - r);
                gr = -g * (beta[i] * u_prev + xt[i]);
            } else {
                ga = g;
                gr = 0;
            }
            REAL g_prev = ga * beta[i];
            if (!detach) {
                g_prev += gr * sg_prev[i];
                gt -= gr * sg_prev[i];
            }
            if (sum)
                gsum[i] += ga;
            else
                ut[i] = ga;
            grad_beta[i] += ga * u_prev;
            grad_th[i] += gt;
            gv[i] = g_prev;
        }
        REAL *swap = sg;
        sg = sg_prev;
        sg_prev = swap;
    }
}

/* Backward through the whole sequence from the input x (rows xs apart, as in the forward) and
 * v[0] (v0 [N], NULL: zeros): per block of neurons, recompute the membranes h, then walk back.
 * grad_s is dL/ds, element (t, i) at grad_s[t * gs_t + i * gs_n] (gs_n is 1, or 0 for a
 * gradient broadcast over neurons); gv [N] holds dL/dv[T] on entry and dL/dv[0] on exit.
 * dL/dx: with gxs = N, grad_x [T, N] receives it step by step and the membranes are
 * recomputed into it (cache-resident, block by block); with gxs = 0 (an input that is the
 * same at every step), grad_x [N] receives its sum over time and the membranes go to scratch,
 * T * BLOCK values per thread. grad_beta and grad_th [N] receive the per-neuron gradients;
 * beta and th as in the forward; delay: the reset was delayed to the next step. */
void NAME(lif_backward)(const REAL *x, int64_t xs, const REAL *grad_s, int64_t gs_t,
                        int64_t gs_n, REAL *gv, const REAL *beta, int64_t bs, const REAL *th,
                        int64_t ts, const REAL *v0, REAL *grad_x, int64_t gxs, REAL *scratch,
                        REAL *grad_beta, REAL *grad_th, int64_t T, int64_t N, int reset,
                        int delay, int detach, int kind, double param, int threads)
{
    const REAL p = (REAL)param;
    const int broadcast = gs_n == 0, sum = gxs == 0;
    if (reset == RESET_NONE) detach = 0; /* nothing to detach: one variant fewer */
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t b = 0; b < N; b += BLOCK) {
        int64_t n = N - b < BLOCK ? N - b : BLOCK;
        REAL v[BLOCK], v_start[BLOCK], beta_block[BLOCK], th_block[BLOCK];
        const REAL *bb = NAME(block_values)(beta, bs, b, n, beta_block);
        const REAL *tb = NAME(block_values)(th, ts, b, n, th_block);
        REAL *h = sum ? scratch + (int64_t)omp_get_thread_num() * T * BLOCK : grad_x + b;
        const int64_t hs = sum ? n : N;
        REAL *gsum = sum ? grad_x + b : NULL;
        for (int64_t i = 0; i < n; i++) {
            v[i] = v_start[i] = v0 ? v0[b + i] : 0;
            grad_beta[b + i] = grad_th[b + i] = 0;
        }
        if (sum)
            for (int64_t i = 0; i < n; i++) gsum[i] = 0;
        NAME(run)(reset, delay, 1, x + b, xs, bb, tb, v, h, hs, T, n);
        if (delay) {
#define DELAYED(R, D, B, S)                                                                      \
    NAME(backward_block_delayed)(R, D, B, S, kind, p, x + b, xs, grad_s + b * gs_n, gs_t,        \
                                 gv + b, bb, tb, v_start, h, hs, gsum, grad_beta + b,            \
                                 grad_th + b, T, n)
#define DELAYED_SUM(R, D, B)                                                                     \
    do {                                                                                         \
        if (sum) DELAYED(R, D, B, 1);                                                            \
        else DELAYED(R, D, B, 0);                                                                \
    } while (0)
#define DELAYED_RESET(R)                                                                         \
    do {                                                                                         \
        if (detach) { if (broadcast) DELAYED_SUM(R, 1, 1); else DELAYED_SUM(R, 1, 0); }          \
        else { if (broadcast) DELAYED_SUM(R, 0, 1); else DELAYED_SUM(R, 0, 0); }                 \
    } while (0)
            if (reset == RESET_SUBTRACT) DELAYED_RESET(RESET_SUBTRACT);
            else if (reset == RESET_ZERO) DELAYED_RESET(RESET_ZERO);
            else DELAYED_RESET(RESET_NONE);
#undef DELAYED_RESET
#undef DELAYED_SUM
#undef DELAYED
            continue;
        }
#define BACKWARD(R, D, B, S)                                                                     \
    NAME(backward_block)(R, D, B, S, kind, p, grad_s + b * gs_n, gs_t, gv + b, bb, tb, v_start, \
                         h, hs, gsum, grad_beta + b, grad_th + b, T, n)
#define BACKWARD_SUM(R, D, B)                                                                    \
    do {                                                                                         \
        if (sum) BACKWARD(R, D, B, 1);                                                           \
        else BACKWARD(R, D, B, 0);                                                               \
    } while (0)
#define BACKWARD_RESET(R, D)                                                                     \
    do {                                                                                         \
        if (broadcast) BACKWARD_SUM(R, D, 1);                                                    \
        else BACKWARD_SUM(R, D, 0);                                                              \
    } while (0)
        if (reset == RESET_SUBTRACT && !detach) BACKWARD_RESET(RESET_SUBTRACT, 0);
        else if (reset == RESET_SUBTRACT) BACKWARD_RESET(RESET_SUBTRACT, 1);
        else if (reset == RESET_ZERO && !detach) BACKWARD_RESET(RESET_ZERO, 0);
        else if (reset == RESET_ZERO) BACKWARD_RESET(RESET_ZERO, 1);
        else BACKWARD_RESET(RESET_NONE, 0);
#undef BACKWARD_RESET
#undef BACKWARD_SUM
#undef BACKWARD
    }
}
