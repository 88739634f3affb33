"""The `nir` package, imported on first use so that greenspike works without the extra."""

from __future__ import annotations

import importlib
from types import ModuleType


def require_nir() -> ModuleType:
    """Return the `nir` module, or raise ImportError saying how to install it."""
    try:
        return importlib.import_module("nir")
    except ImportError as error:
        raise ImportError(
            "NIR export and import need the 'nir' package: pip install 'greenspike[nir]'"
        ) from error
