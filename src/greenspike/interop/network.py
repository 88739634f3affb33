"""`GraphNetwork`: a spiking network as a graph of layers, run over time-major sequences."""

from __future__ import annotations

import torch
from torch import nn

from greenspike.errors import InvalidInputError
from greenspike.snn.neuron import Neuron


class SumPool2d(nn.Module):
    """Sum pooling over 2-D windows (NIR's `SumPool2d`): average pooling times the window size.

    Args:
        kernel_size: the window, one integer or (height, width).
        stride: the step between windows, one integer or a pair; None: `kernel_size`.
        padding: zeros added on each side, one integer or a pair.

    Raises:
        InvalidInputError: an argument is neither one integer nor two.
    """

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        self.kernel_size = _checked_pair(kernel_size)
        self.stride = self.kernel_size if stride is None else _checked_pair(stride)
        self.padding = _checked_pair(padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Sum of each window of `x` `[B, C, H, W]` (or `[C, H, W]`)."""
        return nn.functional.avg_pool2d(
            x, self.kernel_size, self.stride, self.padding, divisor_override=1
        )

    def extra_repr(self) -> str:
        """The pooling arguments, for the module's repr."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Scale(nn.Module):
    """Element-wise scaling `y = x * scale` (NIR's `Scale`); `scale` has the shape of one sample."""

    scale: torch.Tensor

    def __init__(self, scale: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.get_default_dtype()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`x * scale`, `scale` broadcasting over the leading (time, batch) dimensions."""
        return x * self.scale


# Layers that see one time step [B, ...]: the network folds time into the batch for them.
STEP_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Flatten, nn.AvgPool2d, nn.MaxPool2d, SumPool2d)


class GraphNetwork(nn.Module):
    """Layers connected by edges, the form in which `from_nir` returns a NIR graph.

    `network(x)` maps `x` `[T, B, *input_shape]` to the output `[T, B, ...]`, starting from
    zero state. Layers run in topological order over the whole sequence; a layer with several
    incoming edges gets their sum (NIR's convention). Stateless layers (`nn.Linear`, `nn.Conv1d`,
    `nn.Conv2d`, `nn.Flatten`, pooling) see one step `[B, ...]`: time is folded into the batch
    for them, so an `nn.Flatten(start_dim=1)` flattens each sample. Neuron layers (and
    `greenspike.snn.AccumulatedMaxPool2d`) see `[T, B, ...]`.

    Attributes:
        layers: the layers by name, an `nn.ModuleDict`.
        edges: pairs of layer names, plus the names "input" and "output".
        input_shape: the shape of one sample, without time and batch.
        dt: seconds per time step, the one used to convert time constants.

    Raises:
        InvalidInputError: the edges do not make a graph the network can run (see
            `topological_order`).
    """

    def __init__(
        self,
        layers: dict[str, nn.Module],
        edges: list[tuple[str, str]],
        input_shape: tuple[int, ...],
        dt: float,
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleDict(layers)
        self.edges = [(str(a), str(b)) for a, b in edges]
        self.input_shape = tuple(int(n) for n in input_shape)
        self.dt = float(dt)
        self._order = topological_order(list(self.layers), self.edges)

    @property
    def order(self) -> list[str]:
        """The layer names in the order they run (each after all its sources)."""
        return list(self._order)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the network over `x` `[T, B, *input_shape]` from its neurons' initial state.

        Returns:
            The output `[T, B, ...]`: the sum of the layers that feed "output".

        Raises:
            InvalidInputError: `x` is not `[T, B, *input_shape]`, or a layer is of a kind the
                network cannot run (see `run_layer`).
        """
        if x.dim() < 2 or tuple(x.shape[2:]) != self.input_shape:
            raise InvalidInputError(
                f"GraphNetwork expects inputs [T, B, {', '.join(map(str, self.input_shape))}], "
                f"got shape {list(x.shape)}"
            )
        outputs = {"input": x}
        for name in [*self._order, "output"]:
            sources = [a for a, b in self.edges if b == name]
            total = outputs[sources[0]]
            for source in sources[1:]:
                total = total + outputs[source]
            if name != "output":
                outputs[name] = run_layer(self.layers[name], total)
        return total

    def extra_repr(self) -> str:
        """The input shape, `dt` and edges, for the module's repr."""
        return f"input_shape={self.input_shape}, dt={self.dt:g}, edges={self.edges}"


def run_layer(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Run `layer` over `x` `[T, B, ...]`: per step (time folded into batch) or as a sequence.

    Raises:
        InvalidInputError: `layer` is neither a step layer (`STEP_LAYERS`), a greenspike
            neuron nor a `Scale`.
    """
    if isinstance(layer, STEP_LAYERS):
        return layer(x.flatten(0, 1)).unflatten(0, x.shape[:2])
    if isinstance(layer, (Neuron, Scale)):
        return layer(x)
    raise InvalidInputError(f"GraphNetwork cannot run a {type(layer).__name__} layer")


def topological_order(names: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """The layer names in an order where each comes after all its sources (Kahn's algorithm).

    Raises:
        InvalidInputError: an edge names an unknown layer (or leaves "output" or enters
            "input"), a layer or the output has no incoming edge, or the graph has a cycle
            (recurrence must stay inside a recurrent layer).
    """
    known = {"input", "output", *names}
    for a, b in edges:
        if a not in known or b not in known or a == "output" or b == "input":
            raise InvalidInputError(f"edge ({a!r}, {b!r}) does not connect two layers of the graph")
    fed = {b for _, b in edges}
    for name in [*names, "output"]:
        if name not in fed:
            raise InvalidInputError(
                f"nothing feeds {name!r}: every layer and the output need an input"
            )
    pending = {name: {a for a, b in edges if b == name} for name in names}
    done, order = {"input"}, []
    while pending:
        ready = sorted(name for name, sources in pending.items() if sources <= done)
        if not ready:
            raise InvalidInputError(
                f"the graph has a cycle through {sorted(pending)}: only a recurrent layer "
                "(a NIR subgraph) may feed back into itself"
            )
        for name in ready:
            del pending[name]
            done.add(name)
            order.append(name)
    return order


def _checked_pair(value) -> tuple[int, int]:
    values = tuple(int(v) for v in (value if hasattr(value, "__len__") else (value, value)))
    if len(values) != 2:
        raise InvalidInputError(f"expected one or two integers, got {value!r}")
    return values
