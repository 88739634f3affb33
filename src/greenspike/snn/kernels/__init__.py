"""Fused multi-step kernels for `functional.lif`, drop-in replacements for its reference loop.

- `choose_kernel` picks the implementation for a call (`backend="auto" | "torch" | "cpu" |
  "triton"`).
- `fused`:  the autograd function they share (flat tensors in, gradients reduced back), and
  the `Kernel` protocol they implement.
- `cpu`:    a C/OpenMP kernel compiled on first use and called through ctypes.
- `triton_kernel`: a Triton kernel for CUDA GPUs (and Triton's CPU interpreter, for the tests).
- `event`:  for inference only, an event-driven Linear + LIF over all time steps (a C/OpenMP
  kernel built the same way, with a PyTorch reference as fallback): only the weight rows of
  the inputs that spiked are read. `greenspike.engine` builds networks from it.
- `pool`:   the 2x2 max pool with stride 2 (`nn.MaxPool2d(2)`) in a C/OpenMP kernel, with
  PyTorch's values and gradients in a fraction of its time and memory; the twins of
  `greenspike.train.models` pool with it.
"""

from greenspike.snn.kernels._choose import BACKENDS, Backend, choose_kernel

__all__ = ["BACKENDS", "Backend", "choose_kernel"]
