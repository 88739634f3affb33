"""`from_nir`: a NIR graph (or file) as a greenspike `GraphNetwork`.

What greenspike cannot represent exactly is refused, with an error naming the node.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from greenspike.data.idx import MAX_BYTES_ENV, max_data_bytes
from greenspike.errors import InvalidInputError
from greenspike.interop._nir import require_nir
from greenspike.interop.network import GraphNetwork, Scale, SumPool2d
from greenspike.interop.parameters import DEFAULT_DT, checked_dt, input_gain, tau_to_decay
from greenspike.snn import IF, LIF, CubaLIF, LeakyIntegrator, RecurrentLIF
from greenspike.snn.functional import ResetMode

# What a malformed file can make `nir.read` raise; each becomes one InvalidInputError.
_READ_ERRORS = (
    OSError,
    KeyError,
    AssertionError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
)
# Bytes of one value as the importer reads it (float64).
_IMPORTED_BYTES = 8
# |g - 1| below this is unit gain (float64 rounding of dt * (tau / dt) / tau).
_UNIT_GAIN_TOLERANCE = 1e-12


def from_nir(graph_or_path: Any, *, dt: float | None = None) -> GraphNetwork:
    """Build a `GraphNetwork` from a `nir.NIRGraph` or a `.nir` file (`nir.write` format).

    `dt` (seconds per step) converts time constants to decays per step,
    `beta = 1 - dt / tau`; by default the `dt` recorded by `to_nir` in the graph's metadata, else
    `DEFAULT_DT` (1e-4 s, snnTorch 1.0's assumption). Each node maps as `to_nir` describes, in
    reverse; a NIR neuron with input gain `g = dt r / tau != 1` becomes one whose threshold is
    `v_threshold / g` (same spikes, membrane divided by `g`), and an `LI` readout with `g != 1`
    is preceded by `Scale(g)` (same output). Recurrent subgraphs become `RecurrentLIF` (with a
    bias when the recurrent node is an `Affine` with one), and the `membrane -> Threshold`
    subgraphs a `LIF` with reset "subtract" or "none": the reset fed back is `-beta *
    threshold` (immediate), `-threshold` (`reset_delay`; the same as immediate for `beta =
    1`), or for `beta = 1` any other `-R`, an `IF` with threshold `R` starting from `v_init =
    R - threshold` (what `to_nir` writes for `v_init`).

    Raises:
        InvalidInputError: naming the node, for anything that would not give the same model:
            an unsupported node type (e.g. `Delay`, `CubaLI`), `v_leak != 0`, `v_reset != 0`,
            `tau < dt`, non-finite parameters, wrong shapes, a cycle outside a recognised
            subgraph; also for an argument that is neither a `nir.NIRGraph` nor a path, a bad
            `dt`, a file that is not a readable NIR graph, and a graph whose arrays would take
            more than $GREENSPIKE_MAX_DATA_BYTES (default 1 GiB) as float64, checked before
            any layer is built.
        FileNotFoundError: a path given names no file.
        MissingExtraError: `nir` is not installed.
    """
    nir = require_nir()
    graph = read_graph(graph_or_path) if isinstance(graph_or_path, (str, Path)) else graph_or_path
    if not isinstance(graph, nir.NIRGraph):
        raise InvalidInputError(
            f"from_nir expects a nir.NIRGraph or a path to a .nir file, got "
            f"{type(graph_or_path).__name__}"
        )
    source = str(graph_or_path) if isinstance(graph_or_path, (str, Path)) else "the NIR graph"
    _check_built_size(nir, graph, source)
    dt = checked_dt(_recorded_dt(graph) if dt is None else dt)
    nodes = dict(graph.nodes)
    entry = _single(nir.Input, nodes, "Input")
    exit_ = _single(nir.Output, nodes, "Output")
    names = _layer_names(nodes, {entry: "input", exit_: "output"})
    layers: dict[str, nn.Module] = {}
    renamed = {}
    for key, node in nodes.items():
        if key in (entry, exit_):
            continue
        modules = _layers(nir, key, node, dt)
        if len(modules) == 2:  # a gain before the layer: the gain takes the incoming edges
            layers[f"{names[key]}_gain"] = modules[0]
            renamed[key] = f"{names[key]}_gain"
        layers[names[key]] = modules[-1]
    edges = _edges(graph.edges, names, renamed, nodes)
    input_shape = _checked_shape(nodes[entry].input_type.get("input"), f"node {entry!r} (Input)")
    return GraphNetwork(layers, edges, input_shape, dt)


def read_graph(path: str | Path) -> Any:
    """Read a `.nir` file as a `nir.NIRGraph`.

    Raises:
        FileNotFoundError: `path` is not a file.
        InvalidInputError: naming the file: it is not a readable NIR graph (a node type NIR
            does not define, a malformed file), or its arrays declare more bytes than
            $GREENSPIKE_MAX_DATA_BYTES (default 1 GiB).
        MissingExtraError: `nir` is not installed.
    """
    nir = require_nir()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no NIR file at {path}")
    _check_declared_size(path)
    try:
        _check_node_types(nir, path)
        return nir.read(path)
    except _READ_ERRORS as error:
        raise InvalidInputError(
            f"{path} is not a readable NIR graph: {type(error).__name__}: {error}"
        ) from error


def _check_node_types(nir, path: Path) -> None:
    """Name the first node whose type NIR does not define (nir.read only asserts)."""
    import h5py

    def visit(name: str, item) -> None:
        if isinstance(item, h5py.Group) and "type" in item:
            kind = item["type"][()]
            kind = kind.decode() if isinstance(kind, bytes) else str(kind)
            try:
                nir.str2NIRNode(kind)
            except AssertionError:
                node = name.rsplit("/", 1)[-1]
                raise InvalidInputError(
                    f"node {node!r} has type {kind!r}, which NIR {nir.version} does not define"
                ) from None

    with h5py.File(path, "r") as file:
        file.visititems(visit)


def _check_declared_size(path: Path) -> None:
    """Refuse a file whose arrays declare more bytes than the data limit, before any is read.

    Raises:
        InvalidInputError: naming the file, the size and the limit's variable.
    """
    import h5py

    declared = 0

    def add_size(name: str, item) -> None:
        nonlocal declared
        if isinstance(item, h5py.Dataset):
            declared += int(item.size or 0) * item.dtype.itemsize

    try:
        with h5py.File(path, "r") as file:
            file.visititems(add_size)
    except OSError:
        return  # not HDF5: nir.read says so
    limit = max_data_bytes()
    if declared > limit:
        raise InvalidInputError(
            f"{path} declares {declared:,} bytes of arrays, above the limit of {limit:,}; if the "
            f"file is trusted, raise ${MAX_BYTES_ENV}"
        )


def _check_built_size(nir, graph, source: str) -> None:
    """Refuse a graph whose arrays take more than the data limit once the importer reads them.

    The importer reads every array as float64, so a graph of `n` values takes `8 n` bytes
    before torch makes its own copies; a file may hold them as int8 and compressed (a small
    file), or link one array from many nodes, so the file's size says little. Counted: every
    numpy array of every node, each time a node holds it, nested graphs included.

    Raises:
        InvalidInputError: naming `source` (the file, or "the NIR graph"), the number of values,
            their bytes, and the limit's variable.
    """
    values = sum(_node_values(nir, node) for node in graph.nodes.values())
    limit = max_data_bytes()
    if values * _IMPORTED_BYTES > limit:
        raise InvalidInputError(
            f"{source} holds {values:,} values, {values * _IMPORTED_BYTES:,} bytes as the "
            f"float64 the importer builds from, above the limit of {limit:,}; if the graph is "
            f"trusted, raise ${MAX_BYTES_ENV}"
        )


def _node_values(nir, node) -> int:
    if isinstance(node, nir.NIRGraph):
        return sum(_node_values(nir, inner) for inner in node.nodes.values())
    found = vars(node).values() if hasattr(node, "__dict__") else ()
    total = 0
    for value in found:
        arrays = value.values() if isinstance(value, dict) else (value,)
        total += sum(int(a.size) for a in arrays if isinstance(a, np.ndarray))
    return total


def _recorded_dt(graph) -> float:
    metadata = graph.metadata if isinstance(graph.metadata, dict) else {}
    if "dt" not in metadata:
        return DEFAULT_DT
    try:
        return float(np.asarray(metadata["dt"]))
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"the graph's metadata has dt = {metadata['dt']!r}, not a number"
        ) from error


def _single(kind, nodes: dict, what: str) -> str:
    keys = [key for key, node in nodes.items() if isinstance(node, kind)]
    if len(keys) != 1:
        raise InvalidInputError(
            f"a NIR graph needs exactly one {what} node here, found {len(keys)}"
        )
    return keys[0]


def _layer_names(nodes: dict, fixed: dict[str, str]) -> dict[str, str]:
    """Node keys as module names: dots and other symbols become "_", no two alike."""
    names, taken = dict(fixed), set(fixed.values())
    for key in nodes:
        if key in fixed:
            continue
        base = re.sub(r"\W", "_", str(key)) or "node"
        name, n = base, 1
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        names[key] = name
        taken.update({name, f"{name}_gain"})
    return names


def _edges(edges, names: dict, renamed: dict, nodes: dict) -> list[tuple[str, str]]:
    result = []
    for edge in edges:
        if len(edge) != 2 or edge[0] not in nodes or edge[1] not in nodes:
            raise InvalidInputError(f"edge {tuple(edge)!r} does not connect two nodes of the graph")
        a, b = edge
        result.append((names[a], renamed.get(b, names[b])))
    for key, gain in renamed.items():
        result.append((gain, names[key]))
    return result


def _checked_shape(value, where: str) -> tuple[int, ...]:
    array = _checked_array(value, where, "shape")
    if array.ndim != 1 or array.size == 0 or np.any(array < 1) or np.any(array != np.round(array)):
        raise InvalidInputError(f"{where}: shape must be positive integers, got {value!r}")
    return tuple(int(n) for n in array)


def _layers(nir, key: str, node: Any, dt: float) -> list[nn.Module]:
    """The module(s) for one node: a layer, or a `Scale` then the layer."""
    where = f"node {key!r} ({type(node).__name__})"
    if isinstance(node, nir.NIRGraph):
        return [_subgraph_layer(nir, key, node, dt)]
    if isinstance(node, (nir.Affine, nir.Linear)):
        return [_linear(node, where)]
    if isinstance(node, (nir.Conv1d, nir.Conv2d)):
        return [_conv(nir, node, where)]
    if isinstance(node, nir.Flatten):
        start, end = (
            _checked_integer(getattr(node, d), where, d) for d in ("start_dim", "end_dim")
        )
        return [nn.Flatten(start + 1 if start >= 0 else start, end + 1 if end >= 0 else end)]
    if isinstance(node, (nir.AvgPool2d, nir.SumPool2d)):
        kernel, stride, padding = (
            _checked_pair(getattr(node, p), where, p) for p in ("kernel_size", "stride", "padding")
        )
        pool = nn.AvgPool2d if isinstance(node, nir.AvgPool2d) else SumPool2d
        return [pool(kernel, stride, padding)]
    if isinstance(node, nir.Scale):
        return [Scale(_tensor(_checked_finite(node.scale, where, "scale")))]
    if isinstance(node, (nir.LI, nir.I)):
        beta, gain = _membrane(nir, node, where, dt)
        readout = LeakyIntegrator(_value(beta))
        return [readout] if _is_unit(gain) else [Scale(_tensor(gain)), readout]
    if isinstance(node, (nir.LIF, nir.IF)):
        beta, gain, threshold = _resetting(nir, node, where, dt)
        return [_lif(beta, threshold / gain, "zero")]
    if isinstance(node, nir.CubaLIF):
        return [_cuba_lif(node, where, dt)]
    raise InvalidInputError(
        f"{where} is not supported by greenspike: it reads Affine, Linear, Conv1d, "
        "Conv2d, Flatten, AvgPool2d, SumPool2d, Scale, LI, I, LIF, IF, CubaLIF and recurrent "
        "subgraphs"
    )


def _linear(node, where: str) -> nn.Linear:
    weight = _checked_finite(node.weight, where, "weight")
    if weight.ndim != 2:
        raise InvalidInputError(f"{where}: weight must be a matrix, got shape {weight.shape}")
    bias = getattr(node, "bias", None)
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    with torch.no_grad():
        layer.weight.copy_(_tensor(weight))
        if bias is not None and layer.bias is not None:
            layer.bias.copy_(
                _tensor(_checked_finite_shaped(bias, (weight.shape[0],), where, "bias"))
            )
    return layer


def _conv(nir, node, where: str) -> nn.Module:
    weight = _checked_finite(node.weight, where, "weight")
    dims = 1 if isinstance(node, nir.Conv1d) else 2
    if weight.ndim != dims + 2:
        raise InvalidInputError(
            f"{where}: weight must have {dims + 2} dimensions (out, in, kernel), got "
            f"shape {weight.shape}"
        )
    groups = _checked_integer(node.groups, where, "groups")
    padding = node.padding
    if isinstance(padding, bytes):
        padding = padding.decode()
    if not isinstance(padding, str):
        padding = _checked_integers(padding, dims, where, "padding")
    conv = nn.Conv1d if dims == 1 else nn.Conv2d
    # `dims` integers each: a tuple of one (Conv1d) or two (Conv2d), which torch's stubs spell apart
    stride: Any = _checked_integers(node.stride, dims, where, "stride")
    dilation: Any = _checked_integers(node.dilation, dims, where, "dilation")
    try:
        layer = conv(
            weight.shape[1] * groups,
            weight.shape[0],
            tuple(weight.shape[2:]),
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
        )
    except (ValueError, RuntimeError) as error:
        raise InvalidInputError(f"{where}: {error}") from error
    with torch.no_grad():
        layer.weight.copy_(_tensor(weight))
        assert layer.bias is not None  # made with a bias
        layer.bias.copy_(
            _tensor(_checked_finite_shaped(node.bias, (weight.shape[0],), where, "bias"))
        )
    return layer


def _membrane(nir, node, where: str, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """`(beta, gain)` of an `LI` (`v_leak` must be 0) or an `I` (`beta = 1`, gain `r`)."""
    r = _checked_finite(node.r, where, "r")
    if isinstance(node, nir.I):
        _check_positive(r, where, "r")
        return np.ones_like(r), r
    shape = r.shape
    tau = _checked_finite_shaped(node.tau, shape, where, "tau")
    _check_zero(_checked_finite_shaped(node.v_leak, shape, where, "v_leak"), where, "v_leak")
    return _checked_decay(tau, where, "tau", dt), _gain(tau, r, where, dt)


def _resetting(nir, node, where: str, dt: float):
    """`(beta, gain, v_threshold)` of a NIR `LIF` or `IF` that resets to 0."""
    r = _checked_finite(node.r, where, "r")
    shape = r.shape
    threshold = _checked_finite_shaped(node.v_threshold, shape, where, "v_threshold")
    _check_positive(threshold, where, "v_threshold")
    _check_zero(_checked_finite_shaped(node.v_reset, shape, where, "v_reset"), where, "v_reset")
    if isinstance(node, nir.IF):
        _check_positive(r, where, "r")
        return np.ones_like(r), r, threshold
    tau = _checked_finite_shaped(node.tau, shape, where, "tau")
    _check_zero(_checked_finite_shaped(node.v_leak, shape, where, "v_leak"), where, "v_leak")
    return _checked_decay(tau, where, "tau", dt), _gain(tau, r, where, dt), threshold


def _cuba_lif(node, where: str, dt: float) -> CubaLIF:
    threshold = _checked_finite(node.v_threshold, where, "v_threshold")
    shape = threshold.shape
    _check_positive(threshold, where, "v_threshold")
    tau_syn, tau_mem, r, w_in = (
        _checked_finite_shaped(getattr(node, p), shape, where, p)
        for p in ("tau_syn", "tau_mem", "r", "w_in")
    )
    _check_zero(_checked_finite_shaped(node.v_leak, shape, where, "v_leak"), where, "v_leak")
    _check_zero(_checked_finite_shaped(node.v_reset, shape, where, "v_reset"), where, "v_reset")
    gain = _gain(tau_syn, w_in, where, dt, "w_in") * _gain(tau_mem, r, where, dt)
    return CubaLIF(
        _value(_checked_decay(tau_syn, where, "tau_syn", dt)),
        _value(_checked_decay(tau_mem, where, "tau_mem", dt)),
        _value(threshold / gain),
        reset="zero",
    )


def _subgraph_layer(nir, key: str, graph, dt: float) -> nn.Module:
    """A recurrent subgraph as `RecurrentLIF`, or `membrane -> Threshold` as a `LIF`.

    Recognised forms (node names free):
    `input -> LIF|IF -> output` with `LIF|IF -> Linear|Affine (bias 0) -> LIF|IF`
    (RecurrentLIF, reset "zero"); and `input -> LI|I -> Threshold -> output` with optional
    feedback `Threshold -> Scale(-beta * threshold) -> LI|I` (the subtractive reset) and
    `Threshold -> Linear|Affine -> LI|I` (recurrent weights).
    """
    where = f"node {key!r} (subgraph)"
    nodes = dict(graph.nodes)
    roles: dict[str, list[str]] = {}
    for name, node in nodes.items():
        roles.setdefault(_role(nir, node), []).append(name)
    unknown = roles.pop("other", [])
    if unknown:
        kinds = ", ".join(f"{n} ({type(nodes[n]).__name__})" for n in unknown)
        raise InvalidInputError(f"{where} holds nodes greenspike cannot read: {kinds}")
    entry, exit_ = _only(roles, "input", where), _only(roles, "output", where)
    feedback = roles.get("weights", []) + roles.get("scale", [])
    if "resetting" in roles:
        neuron = _only(roles, "resetting", where)
        weights = _only(roles, "weights", where)
        _check_edges(
            graph, {(entry, neuron), (neuron, weights), (weights, neuron), (neuron, exit_)}, where
        )
        if isinstance(nodes[neuron], nir.CubaLIF) or "scale" in roles or "threshold" in roles:
            raise InvalidInputError(
                f"{where}: only a recurrent LIF or IF (with one weight node) has a greenspike layer"
            )
        beta, gain, threshold = _resetting(nir, nodes[neuron], where, dt)
        return _recurrent(nodes[weights], beta, threshold / gain, "zero", where)
    membrane, spike = _only(roles, "membrane", where), _only(roles, "threshold", where)
    expected = {(entry, membrane), (membrane, spike), (spike, exit_)}
    expected |= {(spike, f) for f in feedback} | {(f, membrane) for f in feedback}
    _check_edges(graph, expected, where)
    if len(roles.get("weights", [])) > 1 or len(roles.get("scale", [])) > 1:
        raise InvalidInputError(f"{where}: at most one weight node and one Scale may feed back")
    beta, gain = _membrane(nir, nodes[membrane], where, dt)
    threshold = (
        _checked_finite_shaped(nodes[spike].threshold, beta.shape, where, "threshold") / gain
    )
    _check_positive(threshold, where, "threshold")
    reset: ResetMode = "none"
    delay, v_init = False, None
    if "scale" in roles:
        delay, threshold, v_init = _subtractive(nodes[roles["scale"][0]], beta, threshold, where)
        reset = "subtract"
    if "weights" in roles:
        if v_init is not None:
            raise InvalidInputError(
                f"{where}: a recurrent layer starting from v_init != 0 has no greenspike form"
            )
        return _recurrent(nodes[roles["weights"][0]], beta, threshold, reset, where, delay)
    return _lif(beta, threshold, reset, delay, v_init)


def _lif(
    beta: np.ndarray,
    threshold: np.ndarray,
    reset: ResetMode,
    delay: bool = False,
    v_init: np.ndarray | None = None,
) -> LIF:
    start = None if v_init is None else _value(v_init)
    if np.all(beta == 1):
        return IF(_value(threshold), reset=reset, v_init=start)
    return LIF(_value(beta), _value(threshold), reset=reset, reset_delay=delay, v_init=start)


def _role(nir, node) -> str:
    kinds = {
        "input": nir.Input,
        "output": nir.Output,
        "resetting": (nir.LIF, nir.IF, nir.CubaLIF),
        "membrane": (nir.LI, nir.I),
        "threshold": nir.Threshold,
        "weights": (nir.Linear, nir.Affine),
        "scale": nir.Scale,
    }
    return next((role for role, kind in kinds.items() if isinstance(node, kind)), "other")


def _only(roles: dict, role: str, where: str) -> str:
    names = roles.get(role, [])
    if len(names) != 1:
        raise InvalidInputError(
            f"{where} is not a recognised recurrent layer: it needs exactly one {role} "
            f"node, found {len(names)}"
        )
    return names[0]


def _check_edges(graph, expected: set, where: str) -> None:
    edges = {tuple(edge) for edge in graph.edges}
    if edges != expected:
        raise InvalidInputError(
            f"{where} is not a recognised recurrent layer: its edges {sorted(edges)} "
            f"should be {sorted(expected)}"
        )


def _subtractive(
    scale_node, beta: np.ndarray, threshold: np.ndarray, where: str
) -> tuple[bool, np.ndarray, np.ndarray | None]:
    """`(reset_delay, threshold, v_init or None)` of the reset a Scale feeds back.

    `-beta * threshold`: the immediate reset; `-threshold`: the delayed one; for `beta = 1`,
    any other `-R` (R > 0): an IF with threshold R whose membrane starts at `R - threshold`.
    """
    amount = -_checked_finite_shaped(scale_node.scale, beta.shape, where, "reset scale")
    if np.allclose(amount, beta * threshold, rtol=1e-6, atol=1e-12):
        return False, threshold, None
    if np.allclose(amount, threshold, rtol=1e-6, atol=1e-12):
        return True, threshold, None
    if np.all(beta == 1) and np.all(amount > 0):
        return False, amount, amount - threshold
    raise InvalidInputError(
        f"{where}: the Scale feeding spikes back is not a subtractive reset "
        f"(-beta * threshold = {(-beta * threshold).ravel()[:3]}..., or -threshold with the "
        f"reset delayed; got {-amount.ravel()[:3]}...)"
    )


def _recurrent(
    weights_node, beta, threshold, reset: ResetMode, where: str, delay: bool = False
) -> RecurrentLIF:
    weight = _checked_finite(weights_node.weight, where, "recurrent weight")
    features = beta.size
    if beta.ndim != 1 or weight.shape != (features, features):
        raise InvalidInputError(
            f"{where}: a recurrent layer needs a vector of neurons and a square weight, "
            f"got neurons {list(beta.shape)} and weight {list(weight.shape)}"
        )
    bias = getattr(weights_node, "bias", None)
    if bias is not None:
        bias = _checked_finite_shaped(bias, (features,), where, "recurrent bias")
    has_bias = bias is not None and bool(np.any(bias != 0))
    layer = RecurrentLIF(
        features, _value(beta), _value(threshold), reset=reset, reset_delay=delay, bias=has_bias
    )
    with torch.no_grad():
        layer.recurrent.weight.copy_(_tensor(weight))
        if has_bias and layer.recurrent.bias is not None:
            layer.recurrent.bias.copy_(_tensor(bias))
    return layer


# ----------------------------------------------------------------- checked values


def _checked_array(value, where: str, what: str) -> np.ndarray:
    if value is None:
        raise InvalidInputError(f"{where}: {what} is missing")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(f"{where}: {what} must be numbers, got {value!r:.80}") from error


def _checked_finite(value, where: str, what: str) -> np.ndarray:
    array = _checked_array(value, where, what)
    if not np.all(np.isfinite(array)):
        raise InvalidInputError(f"{where}: {what} contains NaN or infinite values")
    return array


def _checked_finite_shaped(value, shape: tuple, where: str, what: str) -> np.ndarray:
    array = _checked_finite(value, where, what)
    if array.shape != shape:
        raise InvalidInputError(
            f"{where}: {what} has shape {list(array.shape)}, expected {list(shape)} "
            "(one value per neuron)"
        )
    return array


def _check_positive(array: np.ndarray, where: str, what: str) -> None:
    if np.any(array <= 0):
        raise InvalidInputError(f"{where}: {what} must be > 0, got min {array.min():g}")


def _check_zero(array: np.ndarray, where: str, what: str) -> None:
    if np.any(array != 0):
        raise InvalidInputError(
            f"{where}: {what} must be 0 (greenspike neurons rest and reset at 0), "
            f"got values up to {np.abs(array).max():g}"
        )


def _checked_decay(tau: np.ndarray, where: str, what: str, dt: float) -> np.ndarray:
    if np.any(tau < dt):
        raise InvalidInputError(
            f"{where}: {what} must be >= dt = {dt:g} s (a decay per step in [0, 1]), "
            f"got min {tau.min():g}; pass the dt the graph was made for: from_nir(..., dt=...)"
        )
    return tau_to_decay(tau, dt)


def _gain(tau, r, where: str, dt: float, what: str = "r") -> np.ndarray:
    _check_positive(r, where, what)
    return input_gain(tau, r, dt)


def _is_unit(gain: np.ndarray) -> bool:
    return bool(np.all(np.abs(gain - 1) < _UNIT_GAIN_TOLERANCE))


def _checked_integer(value, where: str, what: str) -> int:
    array = _checked_array(value, where, what)
    if array.size != 1 or array.ravel()[0] != round(float(array.ravel()[0])):
        raise InvalidInputError(f"{where}: {what} must be an integer, got {value!r}")
    return int(array.ravel()[0])


def _checked_integers(value, dims: int, where: str, what: str) -> tuple[int, ...]:
    array = _checked_array(value, where, what).ravel()
    if array.size == 1:
        array = np.repeat(array, dims)
    if array.size != dims or np.any(array != np.round(array)) or np.any(array < 0):
        raise InvalidInputError(
            f"{where}: {what} must be {dims} non-negative integers, got {value!r}"
        )
    return tuple(int(n) for n in array)


def _checked_pair(value, where: str, what: str) -> tuple[int, int]:
    first, second = _checked_integers(value, 2, where, what)
    return first, second


def _value(array: np.ndarray) -> float | torch.Tensor:
    """One float when every neuron shares the value, else a per-neuron tensor."""
    flat = array.ravel()
    if flat.size and np.all(flat == flat[0]):
        return float(torch.tensor(flat[0], dtype=torch.get_default_dtype()))
    return _tensor(array)


def _tensor(array) -> torch.Tensor:
    return torch.as_tensor(np.asarray(array), dtype=torch.get_default_dtype())
