"""The neurons of peer libraries that `greenspike.cost.count` knows, found without importing them.

snnTorch `Leaky` and `Synaptic` (called one step at a time, `x_t` `[B, ...]`), SpikingJelly
`LIFNode`, `IFNode` and `ParametricLIFNode` (`step_mode` "s": one step `[B, ...]`; "m": a
sequence `[T, B, ...]`), Norse `LIFCell`, `LIFBoxCell` and `LICell` (one step) and `LIF`,
`LIFBox` and `LI` (a sequence). Each counts its neurons' updates, state traffic, spikes and
NeuroBench membrane updates as greenspike's own neurons do. Any other neuron of these libraries
is refused by name rather than half counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from greenspike.errors import InvalidInputError

Mode = Literal["step", "sequence"]


@dataclass(frozen=True)
class PeerNeuron:
    """A known neuron class of a peer library: its state variables and whether it spikes."""

    library: str
    name: str
    state: tuple[str, ...]
    spiking: bool = True


_KNOWN = {
    (known.library, known.name): known
    for known in (
        PeerNeuron("snntorch", "Leaky", ("mem",)),
        PeerNeuron("snntorch", "Synaptic", ("syn", "mem")),
        PeerNeuron("spikingjelly", "LIFNode", ("v",)),
        PeerNeuron("spikingjelly", "IFNode", ("v",)),
        PeerNeuron("spikingjelly", "ParametricLIFNode", ("v",)),
        PeerNeuron("norse", "LIFCell", ("v", "i")),
        PeerNeuron("norse", "LIF", ("v", "i")),
        PeerNeuron("norse", "LIFBoxCell", ("v",)),
        PeerNeuron("norse", "LIFBox", ("v",)),
        PeerNeuron("norse", "LICell", ("v", "i"), spiking=False),
        PeerNeuron("norse", "LI", ("v", "i"), spiking=False),
    )
}
# Where the peers' neurons live: a class defined there (or a subclass of one) that _KNOWN does
# not cover is refused. Norse's are found by their base classes.
_NEURON_MODULES = ("snntorch._neurons", "spikingjelly.activation_based.neuron")
_NORSE_BASES = ("SNNCell", "SNN", "SNNRecurrentCell", "SNNRecurrent")


def _library(cls: type) -> str:
    return cls.__module__.partition(".")[0]


def peer_neuron(name: str, module: nn.Module) -> PeerNeuron | None:
    """The known peer neuron `module` is (or subclasses), None if it is no peer neuron.

    Raises:
        InvalidInputError: `module` belongs to a peer library's neuron family but is not one
            greenspike.cost counts; the message names the layer and the known neurons.
    """
    for cls in type(module).__mro__:
        known = _KNOWN.get((_library(cls), cls.__name__))
        if known is not None:
            return known
    for cls in type(module).__mro__:
        library = _library(cls)
        if cls.__module__.startswith(_NEURON_MODULES) or (
            library == "norse" and cls.__name__ in _NORSE_BASES
        ):
            known_names = ", ".join(f"{k.library} {k.name}" for k in _KNOWN.values())
            raise InvalidInputError(
                f"layer {name!r} is a {library} {type(module).__name__}, a neuron "
                f"greenspike.cost does not count (it counts {known_names} and greenspike.snn "
                "neurons): counting the rest of the model would leave it out"
            )
    return None


def mode_of(peer: PeerNeuron, module: nn.Module) -> Mode:
    """Whether one call of `module` runs one time step or a whole sequence `[T, B, ...]`."""
    if peer.library == "spikingjelly":
        return "sequence" if getattr(module, "step_mode", "s") == "m" else "step"
    if peer.library == "norse":
        return "step" if peer.name.endswith("Cell") else "sequence"
    return "step"


def membrane(peer: PeerNeuron, module: nn.Module, output: Any) -> torch.Tensor | None:
    """The membrane potential after a call: `[B, ...]` (one step) or `[T, B, ...]` (sequence).

    None when the module does not expose it (then membrane updates are not counted).
    """
    value: Any
    if peer.library == "snntorch":
        value = getattr(module, "mem", None)
    elif peer.library == "spikingjelly":
        sequence = getattr(module, "step_mode", "s") == "m"
        value = getattr(module, "v_seq" if sequence else "v", None)
    else:  # norse: (output, state); the state records every step with record_states
        state = output[1] if isinstance(output, tuple) and len(output) > 1 else None
        value = getattr(state, "v", None)
    return value if isinstance(value, torch.Tensor) else None


@contextmanager
def recording(modules: list[nn.Module]) -> Iterator[None]:
    """Make sequence-mode peer neurons keep their membrane at every step, then restore them.

    SpikingJelly's `store_v_seq` and Norse's `record_states` are set for the duration, and
    SpikingJelly neurons are reset before and after (their state would otherwise carry over
    from one forward call to the next).
    """
    saved: list[tuple[nn.Module, str, Any]] = []
    for module in modules:
        for attribute in ("store_v_seq", "record_states"):
            if hasattr(module, attribute):
                saved.append((module, attribute, getattr(module, attribute)))
                setattr(module, attribute, True)
    reset(modules)
    try:
        yield
    finally:
        for module, attribute, value in saved:
            setattr(module, attribute, value)
        reset(modules)


def reset(modules: list[nn.Module]) -> None:
    """Reset the state SpikingJelly neurons keep between calls (before each counted batch)."""
    for module in modules:
        reset_state = getattr(module, "reset", None)
        if _library(type(module)) == "spikingjelly" and callable(reset_state):
            reset_state()
