"""The Triton backend: the recurrence and backward of `kernels.cpu` as GPU kernels.

Each program owns a block of neurons and walks through time with their membranes in
registers, so one launch runs the whole sequence (with the reset at once, or delayed to the
next step: `DELAY`). Spikes are exact (no fused multiply-add:
`enable_fp_fusion=False`). The backward keeps only the input: it first recomputes the
membrane before each reset, `h`, into the buffer that then receives `dL/dx`. An input that
is the same at every step is read from its one row (a row stride of 0), and its gradient can
be summed over time into `[N]`. Runs on CUDA tensors, and on CPU tensors in Triton's
interpreter (`TRITON_INTERPRET=1`), which the tests use.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from greenspike.snn.kernels._strides import row_stride, value_stride

BLOCK = 128  # neurons per program: one per thread of 4 warps


@triton.jit
def _after_reset(h, fired, th, RESET: tl.constexpr):
    if RESET == 0:
        return tl.where(fired, h - th, h)
    elif RESET == 1:
        return tl.where(fired, tl.zeros_like(h), h)
    else:
        return h


@triton.jit
def _owed_reset(a, u_prev, th, RESET: tl.constexpr):
    """`a` after the reset owed by a spike at the previous step, whose membrane was `u_prev`."""
    owed = (u_prev - th) > 0
    if RESET == 0:
        return tl.where(owed, a - th, a)
    elif RESET == 1:
        return tl.where(owed, tl.zeros_like(a), a)
    else:
        return a


@triton.jit
def _surrogate_derivative(d, p, SURROGATE: tl.constexpr):
    if SURROGATE == 0:
        z = 1.5707963267948966 * p * d
        return p / 2 / (1 + z * z)
    elif SURROGATE == 1:
        r = 1 + p * tl.abs(d)
        return 1 / (r * r)
    elif SURROGATE == 2:
        s = 1 / (1 + tl.exp(-p * d))
        return p * s * (1 - s)
    elif SURROGATE == 3:
        return tl.maximum(1 - tl.abs(d) / p, 0.0) / p
    else:
        return tl.full(d.shape, 1.0, d.dtype)


@triton.jit
def _backward_step(
    gs_ptrs, h_ptrs, mask, g, v_prev, beta, th, grad_beta, grad_th, param,
    RESET: tl.constexpr, DETACH: tl.constexpr, SURROGATE: tl.constexpr, SUM: tl.constexpr,
):  # fmt: skip
    """One step back from h[t].

    Returns dL/dx[t] (also stored over h[t] unless SUM), dL/dv[t-1] and the parameter sums.
    """
    h = tl.load(h_ptrs, mask=mask, other=0.0)
    d = h - th
    s = tl.where(d > 0, 1.0, 0.0).to(h.dtype)
    sg = _surrogate_derivative(d, param, SURROGATE).to(h.dtype)
    gs = tl.load(gs_ptrs, mask=mask, other=0.0)
    if RESET == 0:
        if not DETACH:
            gs -= g * th
        gh = g + gs * sg
        gt = -gs * sg - g * s
    elif RESET == 1:
        if not DETACH:
            gs -= g * h
        gh = g * (1 - s) + gs * sg
        gt = -gs * sg
    else:
        gh = g + gs * sg
        gt = -gs * sg
    if not SUM:
        tl.store(h_ptrs, gh, mask=mask)
    return gh, gh * beta, grad_beta + gh * v_prev, grad_th + gt


@triton.jit
def _backward_step_delayed(
    gs_ptrs, h_ptrs, x_ptrs, mask, g, u_prev, beta, th, grad_beta, grad_th, param,
    RESET: tl.constexpr, DETACH: tl.constexpr, SURROGATE: tl.constexpr, SUM: tl.constexpr,
):  # fmt: skip
    """One step back with the reset delayed (equations: `lif_cpu_body.h`).

    Replaces u[t] by dL/dx[t] (unless SUM); returns dL/dx[t], dL/du[t-1] and the parameter sums.
    """
    u = tl.load(h_ptrs, mask=mask, other=0.0)
    sg = _surrogate_derivative(u - th, param, SURROGATE).to(u.dtype)
    gs = tl.load(gs_ptrs, mask=mask, other=0.0)
    g = g + gs * sg
    r = tl.where((u_prev - th) > 0, 1.0, 0.0).to(u.dtype)
    gt = -gs * sg
    if RESET == 0:
        ga = g
        gr = -g * th
        gt -= g * r
    elif RESET == 1:
        ga = g * (1 - r)
        gr = -g * (beta * u_prev + tl.load(x_ptrs, mask=mask, other=0.0))
    else:
        ga = g
        gr = tl.zeros_like(g)
    g_prev = ga * beta
    if not DETACH:
        sg_prev = _surrogate_derivative(u_prev - th, param, SURROGATE).to(u.dtype)
        g_prev += gr * sg_prev
        gt -= gr * sg_prev
    if not SUM:
        tl.store(h_ptrs, ga, mask=mask)
    return ga, g_prev, grad_beta + ga * u_prev, grad_th + gt


@triton.jit
def _run(
    x_ptr, beta, th, v, out_ptr, offsets, mask, T, N, X_STEP,
    RESET: tl.constexpr, DELAY: tl.constexpr, WRITE_H: tl.constexpr,
):  # fmt: skip
    """The recurrence over T steps, input rows X_STEP apart (N, or 0 for a repeated row).

    Writes the spikes, or the membranes h (WRITE_H), to out. Returns v[T] and whether an input
    value was not finite.
    """
    x_ptrs, out_ptrs = x_ptr + offsets, out_ptr + offsets
    bad = tl.zeros_like(v).to(tl.int1)
    for _ in range(T):
        x = tl.load(x_ptrs, mask=mask, other=0.0)
        bad = bad | ((x - x) != 0)  # NaN exactly when x is infinite or NaN
        h = beta * v + x
        if DELAY:
            h = _owed_reset(h, v, th, RESET)
        fired = (h - th) > 0
        if WRITE_H:
            tl.store(out_ptrs, h, mask=mask)
        else:
            tl.store(out_ptrs, tl.where(fired, 1.0, 0.0).to(h.dtype), mask=mask)
        if DELAY:  # noqa: SIM108 (a constexpr branch, resolved when Triton compiles)
            v = h
        else:
            v = _after_reset(h, fired, th, RESET)
        x_ptrs += X_STEP
        out_ptrs += N
    return v, bad


@triton.jit
def _initial(v0_ptr, offsets, mask, like, HAS_V0: tl.constexpr):
    """v[0]: from v0, or zeros."""
    if HAS_V0:
        return tl.load(v0_ptr + offsets, mask=mask, other=0.0)
    else:
        return tl.zeros_like(like)


@triton.jit
def _lif_forward(
    x_ptr, x_step, beta_ptr, beta_step, th_ptr, th_step, v0_ptr, v_ptr, out_ptr, bad_ptr, T, N,
    RESET: tl.constexpr, DELAY: tl.constexpr, WRITE_H: tl.constexpr, HAS_V0: tl.constexpr,
    BLOCK: tl.constexpr,
):  # fmt: skip
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < N
    beta = tl.load(beta_ptr + offsets * beta_step, mask=mask, other=0.0)
    th = tl.load(th_ptr + offsets * th_step, mask=mask, other=1.0)
    v = _initial(v0_ptr, offsets, mask, beta, HAS_V0)
    v, bad = _run(
        x_ptr, beta, th, v, out_ptr, offsets, mask, T, N, x_step, RESET, DELAY, WRITE_H
    )  # fmt: skip
    tl.store(v_ptr + offsets, v, mask=mask)
    tl.store(bad_ptr + tl.program_id(0), tl.max(bad.to(tl.int32), axis=0))


@triton.jit
def _lif_backward(
    x_ptr, x_step, gs_ptr, gs_t, gs_n, gv_ptr, beta_ptr, beta_step, th_ptr, th_step, v0_ptr,
    h_ptr, gx_ptr, gbeta_ptr, gth_ptr, param, T, N, last, gs_last, x_last,
    RESET: tl.constexpr, DELAY: tl.constexpr, DETACH: tl.constexpr, SURROGATE: tl.constexpr,
    SUM: tl.constexpr,
    NEED_BETA: tl.constexpr, NEED_TH: tl.constexpr, HAS_V0: tl.constexpr, BLOCK: tl.constexpr,
):  # fmt: skip
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < N
    beta = tl.load(beta_ptr + offsets * beta_step, mask=mask, other=0.0)
    th = tl.load(th_ptr + offsets * th_step, mask=mask, other=1.0)
    g = tl.load(gv_ptr + offsets, mask=mask, other=0.0)
    v0 = _initial(v0_ptr, offsets, mask, g, HAS_V0)
    grad_beta = tl.zeros_like(g)
    grad_th = tl.zeros_like(g)
    grad_sum = tl.zeros_like(g)
    _run(x_ptr, beta, th, v0, h_ptr, offsets, mask, T, N, x_step, RESET, DELAY, True)  # h [T, N]
    # Walk back from the last step: `last` = (T - 1) * N, `gs_last` = (T - 1) * gs_t and
    # `x_last` (the last input row's offset) are passed in to stay in 64 bits; dL/ds is strided
    # (gs_n is 1, or 0 when broadcast). Row t of h holds h[t] until (unless SUM, where h is
    # scratch and dL/dx is summed over time) it is overwritten with dL/dx[t]; row t - 1 still
    # holds h[t - 1] (with DELAY, the membranes u that fired).
    gs_ptrs = gs_ptr + gs_last + offsets * gs_n
    h_ptrs = h_ptr + last + offsets
    x_ptrs = x_ptr + x_last + offsets
    for _ in range(T - 1):  # steps T .. 2, whose previous membrane is in a row of h
        h_prev = tl.load(h_ptrs - N, mask=mask, other=0.0)
        if DELAY:  # h holds the membranes that fired, u
            gh, g, grad_beta, grad_th = _backward_step_delayed(
                gs_ptrs, h_ptrs, x_ptrs, mask, g, h_prev, beta, th, grad_beta, grad_th, param,
                RESET, DETACH, SURROGATE, SUM,
            )  # fmt: skip
        else:
            v_prev = _after_reset(h_prev, (h_prev - th) > 0, th, RESET)
            gh, g, grad_beta, grad_th = _backward_step(
                gs_ptrs, h_ptrs, mask, g, v_prev, beta, th, grad_beta, grad_th, param,
                RESET, DETACH, SURROGATE, SUM,
            )  # fmt: skip
        grad_sum += gh
        gs_ptrs -= gs_t
        h_ptrs -= N
        x_ptrs -= x_step
    if DELAY:
        gh, g, grad_beta, grad_th = _backward_step_delayed(
            gs_ptrs, h_ptrs, x_ptrs, mask, g, v0, beta, th, grad_beta, grad_th, param,
            RESET, DETACH, SURROGATE, SUM,
        )  # fmt: skip
    else:
        gh, g, grad_beta, grad_th = _backward_step(
            gs_ptrs, h_ptrs, mask, g, v0, beta, th, grad_beta, grad_th, param,
            RESET, DETACH, SURROGATE, SUM,
        )  # fmt: skip
    tl.store(gv_ptr + offsets, g, mask=mask)
    if SUM:
        tl.store(gx_ptr + offsets, grad_sum + gh, mask=mask)
    if NEED_BETA:
        tl.store(gbeta_ptr + offsets, grad_beta, mask=mask)
    if NEED_TH:
        tl.store(gth_ptr + offsets, grad_th, mask=mask)


def forward(
    x: torch.Tensor,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    v0: torch.Tensor | None,
    reset: int,
    *,
    membrane: bool = False,
    delay: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """As `kernels.cpu.forward`: (spikes or membranes `[T, N]`, v[T], all inputs finite?).

    Reading the finiteness flag waits for the kernel.
    """
    steps, neurons = x.shape
    out = torch.empty(steps, neurons, dtype=x.dtype, device=x.device)
    v = torch.empty(neurons, dtype=x.dtype, device=x.device)
    programs = triton.cdiv(neurons, BLOCK)
    bad = torch.zeros(max(programs, 1), dtype=torch.int32, device=x.device)
    _lif_forward[(programs,)](
        x, row_stride(x), beta, value_stride(beta), threshold, value_stride(threshold),
        v if v0 is None else v0, v, out, bad, steps, neurons, RESET=reset, DELAY=delay,
        WRITE_H=membrane,
        HAS_V0=v0 is not None, BLOCK=BLOCK, **_no_fusion(x),
    )  # fmt: skip
    return out, v, not bool(bad.any())


def backward(
    x: torch.Tensor,
    grad_spikes: torch.Tensor,
    grad_v: torch.Tensor,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    v0: torch.Tensor | None,
    reset: int,
    delay: bool,
    detach_reset: bool,
    surrogate: tuple[int, float],
    need_beta: bool,
    need_threshold: bool,
    *,
    sum_over_time: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """As `kernels.cpu.backward`: -> (dL/dx, dL/dbeta or None, dL/dthreshold or None).

    With `sum_over_time`, the membranes go to a `[T, N]` scratch buffer (GPU memory comes from
    torch's caching allocator) and dL/dx is summed over time into `[N]`.
    """
    steps, neurons = x.shape
    h = torch.empty(steps, neurons, dtype=x.dtype, device=x.device)
    grad_x = torch.empty(neurons, dtype=x.dtype, device=x.device) if sum_over_time else h
    grad_beta = torch.empty(neurons, dtype=x.dtype, device=x.device) if need_beta else h
    grad_threshold = torch.empty(neurons, dtype=x.dtype, device=x.device) if need_threshold else h
    _lif_backward[(triton.cdiv(neurons, BLOCK),)](
        x, row_stride(x), grad_spikes, grad_spikes.stride(0), grad_spikes.stride(1), grad_v,
        beta, value_stride(beta), threshold, value_stride(threshold),
        grad_v if v0 is None else v0, h, grad_x,
        grad_beta, grad_threshold, surrogate[1], steps, neurons, (steps - 1) * neurons,
        (steps - 1) * grad_spikes.stride(0), (steps - 1) * row_stride(x),
        RESET=reset, DELAY=delay, DETACH=detach_reset, SURROGATE=surrogate[0], SUM=sum_over_time,
        NEED_BETA=need_beta, NEED_TH=need_threshold, HAS_V0=v0 is not None, BLOCK=BLOCK,
        **_no_fusion(x),
    )  # fmt: skip
    return (
        grad_x,
        grad_beta if need_beta else None,
        grad_threshold if need_threshold else None,
    )


def _no_fusion(x: torch.Tensor) -> dict[str, bool]:
    """Compile without fused multiply-add on the GPU (the interpreter never fuses)."""
    return {"enable_fp_fusion": False} if x.device.type == "cuda" else {}
