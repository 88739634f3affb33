"""Model exchange through NIR, the Neuromorphic Intermediate Representation (the `nir` extra).

    import greenspike as gs
    graph = gs.interop.to_nir(model, dt=1e-4)   # -> nir.NIRGraph; nir.write("net.nir", graph)
    network = gs.interop.from_nir("net.nir")     # -> GraphNetwork, x [T, B, ...] -> [T, B, ...]

NIR connects snnTorch, Norse, SpikingJelly, Sinabs, Lava and neuromorphic chips (Loihi 2,
SpiNNaker 2, Xylo, ...). The parameter mapping is exact (`greenspike.interop.parameters`), and
what has no exact NIR form is refused with an error naming the layer. `nir` is imported on
first use.
"""

from greenspike.interop.convert import ConversionReport, ConvertedLayer, ConvertedNetwork, convert
from greenspike.interop.exporting import to_nir
from greenspike.interop.importing import from_nir
from greenspike.interop.network import GraphNetwork, Scale, SumPool2d
from greenspike.interop.parameters import DEFAULT_DT

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
    "to_nir",
]
