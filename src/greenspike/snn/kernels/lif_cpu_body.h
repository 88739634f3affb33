/* LIF kernels for one floating-point type REAL; functions are named NAME(...). */

/* v after the reset, from the membrane h before it and the spike s (0 or 1). */
static inline __attribute__((always_inline)) REAL
NAME(after_reset)(const int reset, REAL h, REAL s, REAL th)
{
    if (reset == RESET_SUBTRACT) return s > 0 ? h - th : h;
    if (reset == RESET_ZERO) return s > 0 ? (REAL)0 : h;
    return h;
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

/* The recurrence over T steps for n neurons (rows of x are N apart); v [n] carries the
 * membrane through time (with delay: the membrane that fired, its reset owed to the next
 * step). Writes the spikes, or (when write_h) the membrane h before each reset, into out. */
static inline __attribute__((always_inline)) void
NAME(run_block)(const int reset, const int delay, const int write_h, const REAL *x,
                const REAL *beta, const REAL *th, REAL *v, REAL *out, int64_t T, int64_t N,
                int64_t n)
{
    for (int64_t t = 0; t < T; t++) {
        const REAL *xt = x + t * N;
        REAL *ot = out + t * N;
        for (int64_t i = 0; i < n; i++) {
            REAL h = beta[i] * v[i] + xt[i];
            if (delay) h = NAME(owed_reset)(reset, h, v[i], th[i]);
            REAL s = (h - th[i]) > 0 ? (REAL)1 : (REAL)0;
            ot[i] = write_h ? h : s;
            v[i] = delay ? h : NAME(after_reset)(reset, h, s, th[i]);
        }
    }
}

static void NAME(run)(int reset, int delay, int write_h, const REAL *x, const REAL *beta,
                      const REAL *th, REAL *v, REAL *out, int64_t T, int64_t N, int64_t n)
{
#define RUN(R, D, W) NAME(run_block)(R, D, W, x, beta, th, v, out, T, N, n)
#define RUN_RESET(R)                                                                             \
    do {                                                                                         \
        if (delay) { if (write_h) RUN(R, 1, 1); else RUN(R, 1, 0); }                             \
        else { if (write_h) RUN(R, 0, 1); else RUN(R, 0, 0); }                                   \
    } while (0)
    if (reset == RESET_SUBTRACT) RUN_RESET(RESET_SUBTRACT);
    else if (reset == RESET_ZERO) RUN_RESET(RESET_ZERO);
    else RUN_RESET(RESET_NONE);
#undef RUN_RESET
#undef RUN
}

/* Forward: x [T, N] -> spikes [T, N]; v [N] holds v[0] on entry and v[T] on exit. */
void NAME(lif_forward)(const REAL *x, const REAL *beta, const REAL *th, REAL *v, REAL *spikes,
                       int64_t T, int64_t N, int reset, int delay, int threads)
{
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t b = 0; b < N; b += BLOCK) {
        int64_t n = N - b < BLOCK ? N - b : BLOCK;
        NAME(run)(reset, delay, 0, x + b, beta + b, th + b, v + b, spikes + b, T, N, n);
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

/* One step back for n neurons: row ht holds h[t] and receives dL/dx[t]; hp holds h[t-1]
 * (v[t-1] is v0 when first, and hp is not read); the rows never overlap (restrict); gst is dL/ds[t] (one value for all when broadcast); sg the
 * surrogate derivatives. gv: dL/dv[t] in, dL/dv[t-1] out. */
static inline __attribute__((always_inline)) void
NAME(backward_row)(const int reset, const int detach, const int broadcast, const int first,
                   const REAL *restrict sg, REAL *restrict ht, const REAL *restrict hp,
                   const REAL *restrict v0, const REAL *restrict gst, REAL *restrict gv,
                   const REAL *restrict beta, const REAL *restrict th,
                   REAL *restrict grad_beta, REAL *restrict grad_th, int64_t n)
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
        ht[i] = gh;
        grad_beta[i] += gh * v_prev;
        grad_th[i] += gt;
        gv[i] = gh * beta[i];
    }
}

/* Back through time for n neurons whose membranes h [T, n] (rows N apart) are in grad_x:
 * row t is read, then overwritten with dL/dx[t] (row t - 1 is still h, as needed for v[t-1]). */
static inline __attribute__((always_inline)) void
NAME(backward_block)(const int reset, const int detach, const int broadcast, int kind, REAL p,
                     const REAL *grad_s, int64_t gs_t, REAL *gv, const REAL *beta,
                     const REAL *th, const REAL *v0, REAL *grad_x, REAL *grad_beta,
                     REAL *grad_th, int64_t T, int64_t N, int64_t n)
{
    REAL sg[BLOCK];
    for (int64_t t = T - 1; t >= 0; t--) {
        REAL *ht = grad_x + t * N;
        NAME(surrogate_row)(kind, p, ht, th, sg, n);
        if (t > 0)
            NAME(backward_row)(reset, detach, broadcast, 0, sg, ht, ht - N, v0, grad_s + t * gs_t,
                               gv, beta, th, grad_beta, grad_th, n);
        else
            NAME(backward_row)(reset, detach, broadcast, 1, sg, ht, ht, v0, grad_s, gv, beta, th,
                               grad_beta, grad_th, n);
    }
}

/* Back through time with the reset delayed, for n neurons whose membranes u [T, n] (rows N
 * apart, the membranes that fired) are in grad_x: row t is read, then overwritten with
 * dL/dx[t]. With a = beta * u[t-1] + x[t] and r = H(u[t-1] - th) the reset owed:
 *   subtract: u[t] = a - r * th;  zero: u[t] = (1 - r) * a;  none: u[t] = a
 * and r's surrogate derivative (unless detach) carries dL/dr back into u[t-1] and th. */
static inline __attribute__((always_inline)) void
NAME(backward_block_delayed)(const int reset, const int detach, const int broadcast, int kind,
                             REAL p, const REAL *x, const REAL *grad_s, int64_t gs_t, REAL *gv,
                             const REAL *beta, const REAL *th, const REAL *v0, REAL *grad_x,
                             REAL *grad_beta, REAL *grad_th, int64_t T, int64_t N, int64_t n)
{
    REAL rows[2][BLOCK];
    REAL *sg = rows[0], *sg_prev = rows[1];
    NAME(surrogate_row)(kind, p, grad_x + (T - 1) * N, th, sg, n);
    for (int64_t t = T - 1; t >= 0; t--) {
        REAL *ut = grad_x + t * N;
        const REAL *up = t > 0 ? ut - N : v0;
        const REAL *xt = x + t * N;
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

/* Backward through the whole sequence from the input x [T, N] and v[0] (v0 [N]): per block
 * of neurons, recompute the membranes h into grad_x (cache-resident), then walk back.
 * grad_s is dL/ds, element (t, i) at grad_s[t * gs_t + i * gs_n] (gs_n is 1, or 0 for a
 * gradient broadcast over neurons); gv [N] holds dL/dv[T] on entry and dL/dv[0] on exit;
 * grad_x [T, N] receives dL/dx; grad_beta and grad_th [N] (zeros on entry) accumulate the
 * per-neuron gradients. */
void NAME(lif_backward)(const REAL *x, const REAL *grad_s, int64_t gs_t, int64_t gs_n,
                        REAL *gv, const REAL *beta, const REAL *th, const REAL *v0,
                        REAL *grad_x, REAL *grad_beta, REAL *grad_th, int64_t T, int64_t N,
                        int reset, int delay, int detach, int kind, double param, int threads)
{
    const REAL p = (REAL)param;
    const int broadcast = gs_n == 0;
    if (reset == RESET_NONE) detach = 0; /* nothing to detach: one variant fewer */
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t b = 0; b < N; b += BLOCK) {
        int64_t n = N - b < BLOCK ? N - b : BLOCK;
        REAL v[BLOCK];
        for (int64_t i = 0; i < n; i++) v[i] = v0[b + i];
        NAME(run)(reset, delay, 1, x + b, beta + b, th + b, v, grad_x + b, T, N, n);
        if (delay) {
#define DELAYED(R, D, B)                                                                         \
    NAME(backward_block_delayed)(R, D, B, kind, p, x + b, grad_s + b * gs_n, gs_t, gv + b,       \
                                 beta + b, th + b, v0 + b, grad_x + b, grad_beta + b,            \
                                 grad_th + b, T, N, n)
#define DELAYED_RESET(R)                                                                         \
    do {                                                                                         \
        if (detach) { if (broadcast) DELAYED(R, 1, 1); else DELAYED(R, 1, 0); }                  \
        else { if (broadcast) DELAYED(R, 0, 1); else DELAYED(R, 0, 0); }                         \
    } while (0)
            if (reset == RESET_SUBTRACT) DELAYED_RESET(RESET_SUBTRACT);
            else if (reset == RESET_ZERO) DELAYED_RESET(RESET_ZERO);
            else DELAYED_RESET(RESET_NONE);
#undef DELAYED_RESET
#undef DELAYED
            continue;
        }
#define BACKWARD(R, D, B)                                                                        \
    NAME(backward_block)(R, D, B, kind, p, grad_s + b * gs_n, gs_t, gv + b, beta + b, th + b,    \
                         v0 + b, grad_x + b, grad_beta + b, grad_th + b, T, N, n)
#define BACKWARD_RESET(R, D)                                                                     \
    do {                                                                                         \
        if (broadcast) BACKWARD(R, D, 1);                                                        \
        else BACKWARD(R, D, 0);                                                                  \
    } while (0)
        if (reset == RESET_SUBTRACT && !detach) BACKWARD_RESET(RESET_SUBTRACT, 0);
        else if (reset == RESET_SUBTRACT) BACKWARD_RESET(RESET_SUBTRACT, 1);
        else if (reset == RESET_ZERO && !detach) BACKWARD_RESET(RESET_ZERO, 0);
        else if (reset == RESET_ZERO) BACKWARD_RESET(RESET_ZERO, 1);
        else BACKWARD_RESET(RESET_NONE, 0);
#undef BACKWARD_RESET
#undef BACKWARD
    }
}
