"""Spiking neural networks in PyTorch: neurons, surrogate gradients, encoders, losses.

    import greenspike as gs
    lif = gs.snn.LIF(beta=0.9)              # x [T, B, ...] -> spikes [T, B, ...]
    spikes, state = lif(x, return_state=True)

Tensors are time-major, `[T, B, ...]`. The dynamics live in `gs.snn.functional` (pure
functions, the reference implementation); the modules here only hold parameters. LIF and IF
layers run on fused kernels (`greenspike.snn.kernels`, chosen by `backend=`) with the same
results. This package
imports nothing from greenspike outside itself.
"""

from greenspike.snn import encode, functional, loss, surrogate
from greenspike.snn.activity import RatePenalty, SpikeRecorder
from greenspike.snn.alif import ALIF
from greenspike.snn.cuba_lif import CubaLIF
from greenspike.snn.leaky_integrator import LeakyIntegrator
from greenspike.snn.lif import IF, LIF
from greenspike.snn.max_pool import AccumulatedMaxPool2d
from greenspike.snn.monitor import SpikeStats, record_membrane, spike_stats
from greenspike.snn.neuron import Neuron
from greenspike.snn.plot import plot_membrane, plot_raster
from greenspike.snn.recurrent_lif import RecurrentLIF

__all__ = [
    "ALIF",
    "IF",
    "LIF",
    "AccumulatedMaxPool2d",
    "CubaLIF",
    "LeakyIntegrator",
    "Neuron",
    "RatePenalty",
    "RecurrentLIF",
    "SpikeRecorder",
    "SpikeStats",
    "encode",
    "functional",
    "loss",
    "plot_membrane",
    "plot_raster",
    "record_membrane",
    "spike_stats",
    "surrogate",
]
