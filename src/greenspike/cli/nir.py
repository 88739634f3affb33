"""`greenspike nir export | inspect`: write a model as a NIR file, and look inside one."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from rich.console import Console

from greenspike.cli._options import JSON_OPTION, Command, Group
from greenspike.errors import InvalidInputError

app = typer.Typer(
    cls=Group,
    help="Exchange models with neuromorphic hardware and other SNN libraries through NIR.",
    no_args_is_help=True,
)


@app.command(cls=Command, no_args_is_help=True)
def export(
    model: str = typer.Argument(
        ...,
        help="The model: 'package.module:name' or 'path/to/file.py:name', where name is an "
        "nn.Module or a function returning one (called without arguments); or a .pt file "
        "saved with torch.save(model) (unpickling runs code: trusted files only).",
    ),
    output: Path = typer.Option(..., "--output", "-o", help="The .nir file to write."),
    weights: Path = typer.Option(
        None, "--weights", "-w", help="A state_dict saved with torch.save, loaded into the model."
    ),
    dt: float = typer.Option(None, "--dt", help="Seconds per time step (default 1e-4)."),
    input_shape: str = typer.Option(
        None,
        "--input-shape",
        help="One input sample, e.g. '2,34,34'; needed unless the model starts with nn.Linear.",
    ),
) -> None:
    """Write a greenspike model as a NIR graph (HDF5), with time constants for --dt."""
    from greenspike._files import check_writable, write_with
    from greenspike.interop import to_nir
    from greenspike.interop._model_spec import load_model
    from greenspike.interop._nir import require_nir

    nir = require_nir()
    check_writable(output, "--output")
    network = load_model(model, weights)
    graph = to_nir(network, dt=dt, input_shape=_shape(input_shape))
    write_with(output, lambda path: nir.write(path, graph))
    Console(soft_wrap=True).print(
        f"Wrote {output}: {len(graph.nodes)} nodes, {len(graph.edges)} edges, "
        f"dt = {graph.metadata['dt']:g} s",
        markup=False,
    )


@app.command(cls=Command, no_args_is_help=True)
def inspect(
    file: Path = typer.Argument(..., help="A .nir file."), as_json: bool = JSON_OPTION
) -> None:
    """Show the nodes, parameters and edges of a NIR file, and whether greenspike can run it."""
    from greenspike.interop import from_nir
    from greenspike.interop._nir import require_nir
    from greenspike.interop.importing import read_graph

    require_nir()
    graph = read_graph(file)
    if as_json:
        typer.echo(json.dumps(_graph_dict(graph, from_nir), indent=2))
        return
    from greenspike.report._tables import add_column, cell, new_table, printable

    console = Console()
    nodes = new_table(f"NIR graph {file.name}", caption="All parameters: --json.")
    for column in ("node", "type", "input", "output"):
        add_column(nodes, column)
    add_column(nodes, "parameters", long=True)
    for name, node, depth in _walk(graph):
        nodes.add_row(
            cell("  " * depth + name),
            cell(type(node).__name__),
            _type(node.input_type),
            _type(node.output_type),
            cell(_parameters(node), long=True),
        )
    console.print(nodes)
    for name, node, _ in [("", graph, 0), *_walk(graph)]:
        if hasattr(node, "edges"):
            edges = ", ".join(f"{a} -> {b}" for a, b in node.edges)
            line = f"Edges{f' in {name}' if name else ''}: {edges}"
            console.print(printable(line), markup=False)
    metadata = graph.metadata if isinstance(graph.metadata, dict) else {}
    if metadata:
        line = "Metadata: " + ", ".join(f"{k} = {_item(v)}" for k, v in metadata.items())
        console.print(printable(line), markup=False)
    try:
        from_nir(graph)
    except ValueError as error:
        console.print(printable(f"greenspike cannot run it: {error}"), markup=False)
    else:
        console.print("greenspike can run it: greenspike.interop.from_nir(path)")


def _graph_dict(graph, from_nir) -> dict:
    """What `inspect` shows, JSON-ready: nodes (nested by path), edges, metadata, runnable."""
    metadata = graph.metadata if isinstance(graph.metadata, dict) else {}
    try:
        from_nir(graph)
        runnable, reason = True, None
    except ValueError as error:
        runnable, reason = False, str(error)
    return {
        "nodes": [
            {
                "name": name,
                "depth": depth,
                "type": type(node).__name__,
                "input": _type(node.input_type),
                "output": _type(node.output_type),
                "parameters": _parameters(node),
            }
            for name, node, depth in _walk(graph)
        ],
        "edges": [list(edge) for edge in graph.edges],
        "metadata": {k: _item(v) for k, v in metadata.items()},
        "runnable": runnable,
        "reason": reason,
    }


# The most values one input sample may have (--input-shape): 2**28 floats are 1 GiB.
MAX_INPUT_SIZE = 2**28


def _shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError as error:
        raise InvalidInputError(
            f"--input-shape must be integers separated by commas, e.g. 2,34,34; got {text!r}"
        ) from error
    if not all(size >= 1 for size in shape) or math.prod(shape) > MAX_INPUT_SIZE:
        raise InvalidInputError(
            f"--input-shape must be sizes >= 1 of at most {MAX_INPUT_SIZE:,} values in all, "
            f"got {text!r}"
        )
    return shape


def _walk(graph, depth: int = 0):
    for name, node in graph.nodes.items():
        yield name, node, depth
        if hasattr(node, "nodes") and hasattr(node, "edges"):
            yield from _walk(node, depth + 1)


def _type(types) -> str:
    if not isinstance(types, dict):
        return "?"
    shapes = [v for v in types.values() if v is not None]
    return " ".join(str([int(n) for n in s]) for s in shapes) if shapes else "?"


def _parameters(node) -> str:
    import numpy as np

    skip = {"input_type", "output_type", "metadata", "nodes", "edges"}
    parts = []
    for key, value in vars(node).items():
        if key in skip or key.startswith("_"):
            continue
        array = np.asarray(value) if not isinstance(value, str) else None
        if array is None or array.dtype.kind not in "fiub" or array.size <= 1:
            parts.append(f"{key}={_item(value)}")
        else:
            low, high = float(array.min()), float(array.max())
            values = f"= {low:.4g}" if low == high else f"{low:.4g}..{high:.4g}"
            parts.append(f"{key}{list(array.shape)} {values}")
    return ", ".join(parts)


def _item(value) -> str:
    import numpy as np

    array = np.asarray(value) if not isinstance(value, (str, bytes)) else None
    if array is not None and array.size == 1 and array.dtype.kind in "fiub":
        return f"{array.item():.6g}"
    return str(value.decode() if isinstance(value, bytes) else value)
