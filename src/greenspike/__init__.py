"""greenspike: measure the energy of neural networks, cut it with spiking networks, prove it.

    import greenspike as gs

The public names below are imported on first use, so that `import greenspike` and the
command line start fast and `greenspike.energy` never pulls in torch.

The package is layered, and a module imports only from its own layer or below (checked by
tests/test_layers.py against ARCHITECTURE.md):

    cli -> report -> search, integrations -> train, tracking, engine
        -> cost, quant, data, interop, ledger
        -> energy, snn, errors (and the private helpers _files, _signals, _units, _version)
"""

from __future__ import annotations

import importlib
from typing import Any

from greenspike._version import __version__ as __version__

# Sub-packages reachable as attributes (`gs.energy`, ...).
_SUBPACKAGES: tuple[str, ...] = (
    "energy",
    "snn",
    "data",
    "cost",
    "quant",
    "ledger",
    "report",
    "train",
    "interop",
    "search",
    "integrations",
    "engine",
)
# Re-exported names and the module that defines each.
_EXPORTS: dict[str, str] = {
    "EnergyReport": "greenspike.energy.measurement",
    "EnergyTracker": "greenspike.tracking",
    "Ledger": "greenspike.ledger.store",
    "convert": "greenspike.interop.convert",
    "deploy": "greenspike.engine.network",
    "estimate_footprint": "greenspike.energy.footprint",
    "keep_freed_memory": "greenspike._memory",
    "track": "greenspike.tracking",
}


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'greenspike' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBPACKAGES, *_EXPORTS})
