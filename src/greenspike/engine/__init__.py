"""Event-driven inference of trained spiking networks on the CPU (no autograd).

    import greenspike as gs
    engine = gs.deploy(spiking_twin)        # event-driven where the inputs are spikes
    logits_trace = engine(test_images)      # equals spiking_twin(test_images)
    stream = engine.stream()                # batch 1, one time step at a time

`stages`: how a network is split into event-driven Linear + neuron pairs and dense modules;
`network`: `deploy`, the engine and its stream. The kernel is `greenspike.snn.kernels.event`.
"""

from greenspike.engine.network import DeployedNetwork, Stream, deploy
from greenspike.engine.stages import DenseStage, EventStage, NeuronStage

__all__ = ["DenseStage", "DeployedNetwork", "EventStage", "NeuronStage", "Stream", "deploy"]
