"""The fused LIF kernels reproduce the reference loop: identical spikes, equal gradients.

The Triton kernels run in Triton's CPU interpreter here (TRITON_INTERPRET=1, set below before
triton is first imported, unless a CUDA GPU is present); their tests skip without triton.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.profiler import ProfilerActivity, profile

from greenspike import snn
from greenspike.snn import functional as F
from greenspike.snn import surrogate
from greenspike.snn.kernels import _build, choose_kernel, cpu

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

SURROGATES = st.one_of(
    st.floats(0.5, 5.0).map(surrogate.atan),
    st.floats(1.0, 30.0).map(surrogate.fast_sigmoid),
    st.floats(1.0, 10.0).map(surrogate.sigmoid),
    st.floats(0.3, 2.0).map(surrogate.triangle),
    st.just(surrogate.straight_through()),
)


@dataclass
class Call:
    """One `lif` call with everything that can vary, and the loss that weighs its outputs.

    With `steps`, `x` is one step `[B, ...]`, the input at every one of `steps` steps: passed as
    a view that repeats it (time stride 0), or with `copy` as a contiguous copy of that view.
    """

    x: torch.Tensor
    beta: float | torch.Tensor
    threshold: float | torch.Tensor
    v0: torch.Tensor | None
    reset: str
    surrogate: surrogate.Surrogate
    detach_reset: bool
    reset_delay: bool = False
    steps: int | None = None
    copy: bool = False

    def run(self, backend: str):
        """-> spikes, final v, and the gradients of a random loss w.r.t. every tensor input."""
        leaves = {
            name: value.detach().clone().requires_grad_(value.requires_grad)
            for name, value in vars(self).items()
            if isinstance(value, torch.Tensor)
        }
        state = F.LIFState(leaves["v0"]) if "v0" in leaves else None
        params = F.LIFParameters(
            leaves.get("beta", self.beta),
            leaves.get("threshold", self.threshold),
            self.reset,
            self.surrogate,
            self.detach_reset,
            self.reset_delay,
        )
        x = leaves["x"]
        if self.steps is not None:
            x = x.unsqueeze(0).expand(self.steps, *x.shape)
            x = x.contiguous() if self.copy else x
        spikes, final = F.lif(x, params, state, backend=backend)
        weights = torch.Generator().manual_seed(1)

        def weight(tensor):
            drawn = torch.randn(tensor.shape, generator=weights, dtype=tensor.dtype)
            return drawn.to(tensor.device)

        loss = (spikes * weight(spikes)).sum() + (final.v * weight(final.v)).sum()
        wanted = {name: leaf for name, leaf in leaves.items() if leaf.requires_grad}
        grads = torch.autograd.grad(loss, list(wanted.values()))
        return spikes, final.v, dict(zip(wanted, grads, strict=True))


@st.composite
def lif_calls(draw, max_steps: int = 8) -> Call:
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    features = draw(st.lists(st.integers(1, 5), min_size=1, max_size=2))
    shape = (draw(st.integers(1, max_steps)), draw(st.integers(1, 4)), *features)
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))

    def uniform(low, high, size, learn=False):
        value = low + (high - low) * torch.rand(size, generator=generator, dtype=dtype)
        return value.requires_grad_(learn)

    scale = draw(st.sampled_from([0.5, 1.5, 3.0]))
    x = (torch.randn(shape, generator=generator, dtype=dtype) * scale).requires_grad_()
    beta = draw(
        st.sampled_from(["float", "scalar tensor", "per neuron", "one", "learned per neuron"])
    )
    beta = {
        "float": 0.8,
        "one": 1.0,  # the IF neuron
        "scalar tensor": uniform(0, 1, (), learn=True),
        "per neuron": uniform(0, 1, features),
        "learned per neuron": uniform(0, 1, features, learn=True),
    }[beta]
    threshold = draw(st.sampled_from(["float", "per neuron", "learned per neuron"]))
    threshold = {
        "float": 1.1,
        "per neuron": uniform(0.3, 1.5, shape[1:]),
        "learned per neuron": uniform(0.3, 1.5, features, learn=True),
    }[threshold]
    v0 = uniform(-1, 1.5, shape[1:], learn=draw(st.booleans())) if draw(st.booleans()) else None
    return Call(
        x=x,
        beta=beta,
        threshold=threshold,
        v0=v0,
        reset=draw(st.sampled_from(["subtract", "zero", "none"])),
        surrogate=draw(SURROGATES),
        detach_reset=draw(st.booleans()),
        reset_delay=draw(st.booleans()),
    )


def assert_same_as_reference(call: Call, backend: str) -> None:
    spikes, v, grads = call.run(backend)
    ref_spikes, ref_v, ref_grads = call.run("torch")
    assert torch.equal(spikes, ref_spikes)
    torch.testing.assert_close(v, ref_v, rtol=1e-5, atol=1e-6)
    assert grads.keys() == ref_grads.keys()
    for name, grad in grads.items():
        assert grad.shape == ref_grads[name].shape and grad.dtype == ref_grads[name].dtype
        torch.testing.assert_close(grad, ref_grads[name], rtol=1e-4, atol=1e-5, msg=name)


# ---------------------------------------------------------------- the C kernel


@settings(max_examples=150, deadline=None)
@given(lif_calls())
def test_cpu_kernel_equals_the_reference(call):
    assert_same_as_reference(call, "cpu")


def broadcast_gradient_losses():
    """Losses whose gradient w.r.t. the spikes is broadcast (strides 0), read without a copy."""
    weights = torch.randn(3, 4, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    return {
        "sum": lambda spikes: spikes.sum(),
        "weighted over time": lambda spikes: (spikes * weights).sum(),
    }


def assert_broadcast_gradients_match(backend: str, device: str = "cpu") -> None:
    x = torch.randn(6, 3, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    x = (2 * x).to(device)
    for name, loss in broadcast_gradient_losses().items():
        grads = {}
        for each in (backend, "torch"):
            leaf = x.clone().requires_grad_()
            spikes, _ = F.lif(leaf, F.LIFParameters(0.8), backend=each)
            (grads[each],) = torch.autograd.grad(loss(spikes.cpu()), leaf)
        torch.testing.assert_close(grads[backend], grads["torch"], msg=name)


def repeated(call: Call, *, copy: bool = False) -> Call:
    """`call` with its first step as the input at every step (as direct encoding makes)."""
    return replace(call, x=call.x[0].detach().requires_grad_(), steps=len(call.x), copy=copy)


@settings(max_examples=100, deadline=None)
@given(lif_calls())
def test_cpu_kernel_reads_a_repeated_input_as_its_copy(call):
    # identical spikes to the reference loop on a contiguous copy, gradients equal (the kernel
    # sums the input's over time itself)
    spikes, v, grads = repeated(call).run("cpu")
    copy_spikes, copy_v, copy_grads = repeated(call, copy=True).run("torch")
    assert torch.equal(spikes, copy_spikes)
    torch.testing.assert_close(v, copy_v, rtol=1e-5, atol=1e-6)
    assert grads.keys() == copy_grads.keys()
    for name, grad in grads.items():
        assert grad.shape == copy_grads[name].shape and grad.dtype == copy_grads[name].dtype
        torch.testing.assert_close(grad, copy_grads[name], rtol=1e-4, atol=1e-5, msg=name)
    assert_same_as_reference(repeated(call, copy=True), "cpu")


def allocations(run, at_least: int) -> list[int]:
    """Sizes of the buffers of `at_least` bytes or more that torch allocates during `run()`."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as profiled:
        run()
    return [
        e.self_cpu_memory_usage for e in profiled.events() if e.self_cpu_memory_usage >= at_least
    ]


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_a_repeated_input_is_never_copied_nor_its_gradient_made_per_step(reset):
    steps, batch, features = 8, 4, 1000
    sequence_bytes = steps * batch * features * 4
    current = torch.randn(batch, features, requires_grad=True)
    params = F.LIFParameters(torch.full((features,), 0.9, requires_grad=True), reset=reset)

    def train_step(copy: bool) -> None:
        x = current.unsqueeze(0).expand(steps, batch, features)
        spikes, state = F.lif(x.contiguous() if copy else x, params, backend="cpu")
        (spikes.sum() + state.v.sum()).backward()

    assert allocations(lambda: train_step(False), sequence_bytes) == [sequence_bytes]  # spikes
    assert len(allocations(lambda: train_step(True), sequence_bytes)) == 3  # + copy, + its grad
    with torch.no_grad():
        x = current.unsqueeze(0).expand(steps, batch, features)
        inference = allocations(lambda: F.lif(x, params, backend="cpu"), sequence_bytes)
    assert inference == [sequence_bytes]


def test_a_watched_repeated_input_keeps_its_own_gradient_and_an_unwatched_one_has_none():
    steps, batch, features = 5, 2, 7
    weights = torch.randn(steps, batch, features, generator=torch.Generator().manual_seed(6))
    current = (2 * torch.randn(batch, features)).requires_grad_()
    watched = current.unsqueeze(0).expand(steps, batch, features)
    watched.retain_grad()
    spikes, _ = F.lif(watched, F.LIFParameters(0.8), backend="cpu")
    (spikes * weights).sum().backward()
    reference = current.detach().unsqueeze(0).expand(steps, batch, features).clone()
    reference.requires_grad_()
    ref_spikes, _ = F.lif(reference, F.LIFParameters(0.8), backend="torch")
    (ref_spikes * weights).sum().backward()
    torch.testing.assert_close(watched.grad, reference.grad)  # per step
    torch.testing.assert_close(current.grad, reference.grad.sum(0))
    hooked = current.unsqueeze(0).expand(steps, batch, features)
    seen = []
    hooked.register_hook(seen.append)
    spikes, _ = F.lif(hooked, F.LIFParameters(0.8), backend="cpu")
    (spikes * weights).sum().backward()
    torch.testing.assert_close(seen[0], reference.grad)
    # unwatched, the kernel hands `current` its gradient directly: the view is not in the graph
    unwatched = current.unsqueeze(0).expand(steps, batch, features)
    spikes, _ = F.lif(unwatched, F.LIFParameters(0.8), backend="cpu")
    with pytest.raises(RuntimeError, match="not have been used in the graph"):
        torch.autograd.grad(spikes.sum(), unwatched)


def test_a_non_finite_repeated_input_is_found_by_the_kernel():
    current = torch.randn(3, 4)
    current[1, 2] = float("nan")
    with pytest.raises(ValueError, match="lif input must be finite, found 1 non-finite values"):
        F.lif(current.unsqueeze(0).expand(6, 3, 4), F.LIFParameters(0.9), backend="cpu")
    x = torch.randn(6, 3, 4)
    x[5, 0, 0] = -float("inf")
    with pytest.raises(ValueError, match=r"found 1 non-finite values \(e\.g\. -inf\)"):
        F.lif(x, F.LIFParameters(0.9), backend="cpu")


def test_cpu_kernel_reads_broadcast_gradients():
    assert_broadcast_gradients_match("cpu")


def test_cpu_kernel_takes_non_contiguous_inputs():
    base = torch.randn(4, 5, 3, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    x = (2 * base).transpose(1, 2)  # [T, B=3, 5, 2], not contiguous
    call = Call(x.requires_grad_(), 0.7, 0.9, None, "zero", surrogate.atan(), False)
    assert_same_as_reference(call, "cpu")


def test_auto_uses_the_cpu_kernel_and_the_result_does_not_depend_on_threads():
    x = torch.randn(12, 8, cpu._PARALLEL_WORK // 12, requires_grad=True)
    assert choose_kernel("auto", x, F.LIFParameters(0.9), None) is cpu
    results = []
    for threads in (1, 2):
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            spikes, state = F.lif(x, F.LIFParameters(0.9), backend="cpu")
            (grad,) = torch.autograd.grad(spikes.sum() + state.v.sum(), x)
        finally:
            torch.set_num_threads(before)
        results.append((spikes, state.v, grad))
    for one, two in zip(*results, strict=True):
        assert torch.equal(one, two)
    # Many blocks of neurons, the last one partial: still the reference's results.
    assert_same_as_reference(Call(x, 0.9, 1.0, None, "subtract", surrogate.atan(), False), "cpu")


def saved_for_backward(backend: str, x: torch.Tensor) -> list[torch.Tensor]:
    """The tensors autograd keeps for the backward of one `lif` call."""
    saved = []

    def pack(tensor):
        saved.append(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        beta = torch.full(x.shape[2:], 0.9, requires_grad=True)
        F.lif(x, F.LIFParameters(beta, 1.0), backend=backend)
    return saved


def test_the_backward_keeps_the_input_and_nothing_else_of_its_size():
    x = torch.randn(20, 4, 32, requires_grad=True)
    fused = saved_for_backward("cpu", x)
    (large,) = [tensor for tensor in fused if tensor.numel() > 4 * 32]
    assert large.data_ptr() == x.data_ptr()  # a reference to the input, not a copy
    # besides the input: at most the initial membrane and one beta and threshold per neuron
    assert sum(tensor.numel() for tensor in fused) <= x.numel() + 3 * 4 * 32
    reference = saved_for_backward("torch", x)
    assert sum(tensor.numel() for tensor in reference) >= 2 * x.numel()


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_second_derivatives_equal_the_reference(reset):
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(6, 3, 5, dtype=torch.float64, generator=generator, requires_grad=True)
    beta = torch.linspace(0.5, 0.9, 5, dtype=torch.float64).requires_grad_()
    weights = torch.randn(6, 3, 5, dtype=torch.float64, generator=generator)
    results = {}
    for backend in ("torch", "cpu"):
        spikes, state = F.lif(x, F.LIFParameters(beta, 0.5, reset=reset), backend=backend)
        loss = (spikes * weights).sum() + (state.v**2).sum()
        grad_x, grad_beta = torch.autograd.grad(loss, (x, beta), create_graph=True)
        penalty = (grad_x**2).sum() + (grad_beta**2).sum()
        results[backend] = (grad_x, grad_beta, *torch.autograd.grad(penalty, (x, beta)))
    for fused, reference in zip(results["cpu"], results["torch"], strict=True):
        torch.testing.assert_close(fused, reference)
    assert results["torch"][2].abs().sum() > 0  # the second derivative is not trivially zero


def test_modules_pass_their_backend_and_learn_the_same_gradients():
    x = torch.randn(10, 3, 6, generator=torch.Generator().manual_seed(0)) * 1.5
    grads = {}
    for backend in ("torch", "cpu"):
        layer = snn.LIF(beta=torch.linspace(0.5, 0.9, 6), learn_beta=True, learn_threshold=True)
        layer.backend = backend
        layer(x).sum().backward()
        grads[backend] = (layer.beta.grad, layer.threshold.grad)
    for fused, reference in zip(grads["cpu"], grads["torch"], strict=True):
        torch.testing.assert_close(fused, reference)
    assert snn.IF(backend="cpu").backend == "cpu"
    with pytest.raises(ValueError, match="backend must be one of"):
        snn.LIF(0.9, backend="gpu")


def test_inputs_the_kernels_do_not_cover_go_to_the_reference_under_auto():
    class Doubled(surrogate.ATan):
        def derivative(self, x):
            return 2 * super().derivative(x)

    x = torch.randn(5, 2, 3)
    for dtype, spike in [(torch.bfloat16, surrogate.atan()), (torch.float32, Doubled())]:
        xs = x.to(dtype)
        params = F.LIFParameters(0.9, surrogate=spike)
        assert choose_kernel("auto", xs, params, None) is None
        assert torch.equal(F.lif(xs, params)[0], F.lif(xs, params, backend="torch")[0])
        with pytest.raises(ValueError, match=r"backend='cpu' cannot run this call: .*auto"):
            F.lif(xs, params, backend="cpu")
    wider_beta = torch.full((3,), 0.9, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"beta of dtype torch\.float64 wider"):
        F.lif(x, F.LIFParameters(wider_beta), backend="cpu")
    with pytest.raises(ValueError, match="backend must be one of 'auto', 'torch', 'cpu'"):
        F.lif(x, F.LIFParameters(0.9), backend="fast")


def test_without_a_compiler_auto_falls_back_to_the_reference(monkeypatch):
    monkeypatch.setattr(cpu, "available", lambda: False)
    x = torch.randn(5, 2, 3)
    params = F.LIFParameters(0.9)
    assert choose_kernel("auto", x, params, None) is None
    assert torch.equal(F.lif(x, params)[0], F.lif(x, params, backend="torch")[0])


def test_the_build_says_what_it_does_caches_and_warns_without_a_compiler(
    tmp_path, monkeypatch, capfd
):
    monkeypatch.setenv("GREENSPIKE_KERNEL_CACHE", str(tmp_path))
    _build.load_cpu_library.cache_clear()
    try:
        assert _build.load_cpu_library() is not None
        assert "compiling the fused LIF kernel (first use" in capfd.readouterr().err
        assert len(list(tmp_path.glob("lif_cpu-*.so"))) == 1
        _build.load_cpu_library.cache_clear()
        assert _build.load_cpu_library() is not None  # as in a new process: from the cache
        assert capfd.readouterr().err == ""

        monkeypatch.setenv("GREENSPIKE_KERNEL_CACHE", str(tmp_path / "empty"))
        monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
        _build.load_cpu_library.cache_clear()
        with pytest.warns(RuntimeWarning, match="using the PyTorch reference loop"):
            assert _build.load_cpu_library() is None
    finally:
        _build.load_cpu_library.cache_clear()


# ---------------------------------------------------------------- Triton


@pytest.fixture(scope="module")
def triton():
    return pytest.importorskip("triton")


@settings(max_examples=25, deadline=None)
@given(call=lif_calls(max_steps=5))
def test_triton_kernel_equals_the_reference(triton, call):
    if torch.cuda.is_available():
        call = Call(**{k: _to_cuda(v) for k, v in vars(call).items()})
    assert_same_as_reference(call, "triton")


def test_triton_kernel_with_several_programs(triton):
    x = torch.randn(3, 2, 150, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    if torch.cuda.is_available():
        x = x.cuda()
    beta = torch.linspace(0.2, 1.0, 150, dtype=torch.float64, device=x.device).requires_grad_()
    call = Call((2 * x).requires_grad_(), beta, 0.8, None, "zero", surrogate.sigmoid(), True)
    assert_same_as_reference(call, "triton")


@settings(max_examples=20, deadline=None)
@given(call=lif_calls(max_steps=5))
def test_triton_kernel_reads_a_repeated_input_as_its_copy(triton, call):
    if torch.cuda.is_available():
        call = Call(**{k: _to_cuda(v) for k, v in vars(call).items()})
    spikes, v, grads = repeated(call).run("triton")
    copy_spikes, copy_v, copy_grads = repeated(call, copy=True).run("torch")
    assert torch.equal(spikes, copy_spikes)
    torch.testing.assert_close(v, copy_v, rtol=1e-5, atol=1e-6)
    for name, grad in grads.items():
        torch.testing.assert_close(grad, copy_grads[name], rtol=1e-4, atol=1e-5, msg=name)


def test_triton_kernel_reads_broadcast_gradients(triton):
    assert_broadcast_gradients_match("triton", "cuda" if torch.cuda.is_available() else "cpu")


def test_triton_refuses_tensors_it_cannot_run(triton, monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    with pytest.raises(ValueError, match="needs CUDA tensors"):
        F.lif(torch.randn(3, 2, 2), F.LIFParameters(0.9), backend="triton")


def _to_cuda(value):
    return (
        value.detach().cuda().requires_grad_(value.requires_grad)
        if torch.is_tensor(value)
        else value
    )
