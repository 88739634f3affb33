"""The `nir` package, imported on first use so that greenspike works without the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from greenspike.errors import MissingExtraError


def require_nir() -> ModuleType:
    """Return the `nir` module.

    Raises:
        MissingExtraError: `nir` is not installed (the message says how to install it).
    """
    try:
        return importlib.import_module("nir")
    except ImportError as error:
        raise MissingExtraError(
            "NIR export and import need the 'nir' package: pip install 'greenspike[nir]'"
        ) from error
