"""The functional core: neuron dynamics as pure functions over time-major tensors `[T, B, ...]`.

Each neuron type has one multi-step function (`lif`, `cuba_lif`, `alif`, `recurrent_lif`,
`leaky_integrator`, and the accumulated max pool of converted networks,
`accumulated_max_pool2d`) and a `*_step` twin for one time step, both called as
`(x, params, state=None)`: `params` is the neuron's parameter NamedTuple (e.g.
`LIFParameters(beta=0.9, threshold=1.0)`), `state` its state NamedTuple (e.g. `LIFState(v)`,
None for zeros). Both return `(output, new_state)`. The plain PyTorch loops here are the
reference that faster kernels must reproduce.

    spikes, state = lif(x, LIFParameters(beta=0.9, reset="zero"))
"""

from greenspike.snn.functional._checks import ResetMode
from greenspike.snn.functional.alif import ALIFParameters, ALIFState, alif, alif_step
from greenspike.snn.functional.cuba_lif import (
    CubaLIFParameters,
    CubaLIFState,
    cuba_lif,
    cuba_lif_step,
)
from greenspike.snn.functional.leaky_integrator import (
    LIParameters,
    LIState,
    leaky_integrator,
    leaky_integrator_step,
)
from greenspike.snn.functional.lif import LIFParameters, LIFState, lif, lif_step
from greenspike.snn.functional.max_pool import (
    MaxPoolParameters,
    MaxPoolState,
    accumulated_max_pool2d,
    accumulated_max_pool2d_step,
)
from greenspike.snn.functional.recurrent_lif import (
    RecurrentLIFParameters,
    RecurrentLIFState,
    recurrent_lif,
    recurrent_lif_step,
)

__all__ = [
    "ALIFParameters",
    "ALIFState",
    "CubaLIFParameters",
    "CubaLIFState",
    "LIFParameters",
    "LIFState",
    "LIParameters",
    "LIState",
    "MaxPoolParameters",
    "MaxPoolState",
    "RecurrentLIFParameters",
    "RecurrentLIFState",
    "ResetMode",
    "accumulated_max_pool2d",
    "accumulated_max_pool2d_step",
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
