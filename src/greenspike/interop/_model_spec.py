"""Find the model a command names: `module:name`, `file.py:name`, or a `torch.save`d module."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

from greenspike.errors import InvalidInputError


def load_model(spec: str, weights: Path | None = None) -> nn.Module:
    """The `nn.Module` named by `spec`, with the state_dict in `weights` loaded when given.

    `spec` is `package.module:name` (imported) or `path/to/file.py:name` (run as a module),
    where `name` is an `nn.Module` or a callable returning one, called without arguments; or a
    path to a file saved with `torch.save(model)`, which is unpickled (code runs: trusted files
    only). `weights` is a state_dict saved with `torch.save(model.state_dict())`, read with
    `weights_only=True` and loaded strictly.
    """
    model = _from_file(Path(spec)) if Path(spec).is_file() else _from_python(spec)
    if weights is not None:
        if not Path(weights).is_file():
            raise FileNotFoundError(f"no weights file at {weights}")
        state = torch.load(weights, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise InvalidInputError(f"{weights} holds a {type(state).__name__}, not a state_dict")
        try:
            model.load_state_dict(state)
        except RuntimeError as error:
            raise InvalidInputError(f"{weights} does not fit the model: {error}") from error
    return model


def _from_file(path: Path) -> nn.Module:
    try:
        model = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # unpickling can raise anything; the user needs the reason
        raise InvalidInputError(
            f"cannot load a model from {path}: {type(error).__name__}: {error}"
        ) from error
    return _module(model, str(path))


def _from_python(spec: str) -> nn.Module:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise InvalidInputError(
            f"model {spec!r} is neither a file nor 'module:name' (e.g. mypkg.models:build or "
            "models.py:net)"
        )
    if module_name.endswith(".py"):
        module = _run_file(Path(module_name))
    else:
        with _running(f"importing {module_name!r}"):
            try:
                module = importlib.import_module(module_name)
            except ImportError as error:
                raise InvalidInputError(f"cannot import {module_name!r}: {error}") from error
    if not hasattr(module, attribute):
        raise InvalidInputError(f"{module_name!r} has no attribute {attribute!r}")
    found = getattr(module, attribute)
    if callable(found) and not isinstance(found, nn.Module):
        with _running(f"calling {attribute}() of {module_name} (without arguments)"):
            found = found()
    return _module(found, spec)


@contextlib.contextmanager
def _running(what: str) -> Iterator[None]:
    """Turn what the user's code raises, `sys.exit()` included, into a clear error naming it.

    Raises:
        InvalidInputError: "<what> failed: <the exception>"; Ctrl-C passes through.
    """
    try:
        yield
    except InvalidInputError:
        raise
    except SystemExit as error:
        raise InvalidInputError(
            f"{what} failed: it called sys.exit({error.code!r}) and gave no model"
        ) from error
    except Exception as error:  # the user's code can raise anything; they need the reason
        raise InvalidInputError(f"{what} failed: {type(error).__name__}: {error}") from error


def _run_file(path: Path):
    if not path.is_file():
        raise FileNotFoundError(f"no Python file at {path}")
    name = f"_greenspike_model_{path.stem}"
    specification = importlib.util.spec_from_file_location(name, path)
    assert specification is not None and specification.loader is not None  # a .py file
    module = importlib.util.module_from_spec(specification)
    sys.modules[name] = module
    try:
        with _running(f"running {path}"):
            specification.loader.exec_module(module)
    except InvalidInputError:
        del sys.modules[name]
        raise
    return module


def _module(found, spec: str) -> nn.Module:
    if not isinstance(found, nn.Module):
        raise InvalidInputError(f"{spec!r} gives a {type(found).__name__}, not a torch nn.Module")
    return found
