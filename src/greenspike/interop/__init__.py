"""Bring your own network: NIR exchange, peer libraries' models, and trained ReLU networks.

    import greenspike as gs
    graph = gs.interop.to_nir(model, dt=1e-4)   # -> nir.NIRGraph; nir.write("net.nir", graph)
    network = gs.interop.from_nir("net.nir")     # -> GraphNetwork, x [T, B, ...] -> [T, B, ...]
    network = gs.interop.from_snntorch(model)    # also from_spikingjelly, from_norse
    spiking = gs.convert(relu_model, train_images)   # -> ConvertedNetwork, [B, ...] -> [T, B, ...]

NIR connects snnTorch, Norse, SpikingJelly, Sinabs, Lava and neuromorphic chips (Loihi 2,
SpiNNaker 2, Xylo, ...). The parameter mapping is exact (`greenspike.interop.parameters`), and
what has no exact NIR form is refused with an error naming the layer. `nir` and the peer
libraries (snnTorch, SpikingJelly, Norse) are imported on first use, inside the functions that
need them.
"""

from greenspike.interop.convert import ConversionReport, ConvertedLayer, ConvertedNetwork, convert
from greenspike.interop.exporting import to_nir
from greenspike.interop.importing import from_nir
from greenspike.interop.network import GraphNetwork, Scale, SumPool2d
from greenspike.interop.norse_models import from_norse
from greenspike.interop.parameters import DEFAULT_DT
from greenspike.interop.snntorch_models import from_snntorch
from greenspike.interop.spikingjelly_models import from_spikingjelly

__all__ = [
    "DEFAULT_DT",
    "ConversionReport",
    "ConvertedLayer",
    "ConvertedNetwork",
    "GraphNetwork",
    "Scale",
    "SumPool2d",
    "convert",
    "from_nir",
    "from_norse",
    "from_snntorch",
    "from_spikingjelly",
    "to_nir",
]
