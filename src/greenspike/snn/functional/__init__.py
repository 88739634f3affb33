"""The functional core: neuron dynamics as pure functions over time-major tensors `[T, B, ...]`.

Each neuron type has one multi-step function (`lif`, `cuba_lif`, `alif`, `recurrent_lif`,
`leaky_integrator`) returning `(output [T, B, ...], final_state)`, and a `*_step` twin for one
time step. The plain PyTorch loops here are the reference that faster kernels must reproduce.
"""

from greenspike.snn.functional.alif import ALIFState, alif, alif_step
from greenspike.snn.functional.cuba_lif import CubaLIFState, cuba_lif, cuba_lif_step
from greenspike.snn.functional.leaky_integrator import (
    LIState,
    leaky_integrator,
    leaky_integrator_step,
)
from greenspike.snn.functional.lif import LIFState, lif, lif_step
from greenspike.snn.functional.recurrent_lif import (
    RecurrentLIFState,
    recurrent_lif,
    recurrent_lif_step,
)

__all__ = [
    "ALIFState",
    "CubaLIFState",
    "LIFState",
    "LIState",
    "RecurrentLIFState",
    "alif",
    "alif_step",
    "cuba_lif",
    "cuba_lif_step",
    "leaky_integrator",
    "leaky_integrator_step",
    "lif",
    "lif_step",
    "recurrent_lif",
    "recurrent_lif_step",
]
