"""The layers of ARCHITECTURE.md hold: no module in src/ imports from a layer above its own.

Every import is checked, also those inside functions and `if TYPE_CHECKING:` blocks, and
relative ones; there is no exception list.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SOURCE = ROOT / "src" / "greenspike"
TOP = ("__init__", "__main__")  # the package's public surface and entry point: above all


def layers() -> dict[str, int]:
    """Part -> layer number, read from the ```layers block of ARCHITECTURE.md."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    block = re.search(r"```layers\n(.*?)```", text, re.S)
    assert block, "ARCHITECTURE.md has no ```layers block"
    table = {}
    for line in block.group(1).splitlines():
        number, *parts = line.split()
        table.update(dict.fromkeys(parts, int(number)))
    return table


def part_of(module: str) -> str:
    """greenspike.energy.meters.rapl -> energy; greenspike.errors -> errors."""
    return module.split(".")[1]


def imports(path: Path, source: Path = SOURCE) -> list[tuple[int, str]]:
    """(line, imported greenspike module) for every import in `path`, a file under `source`."""
    module = ".".join(path.relative_to(source.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            if target == "greenspike":  # from greenspike import energy
                found += [(node.lineno, f"greenspike.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.startswith("greenspike.")]


def test_every_part_of_the_package_has_a_layer():
    table = layers()
    parts = {p.stem if p.is_file() else p.name for p in SOURCE.iterdir() if p.suffix in (".py", "")}
    parts -= {*TOP, "__pycache__", "py"}
    parts = {p for p in parts if (SOURCE / p).is_dir() or (SOURCE / f"{p}.py").is_file()}
    assert parts - set(table) == set(), "parts missing from ARCHITECTURE.md's layers"
    assert set(table) - parts == set(), "ARCHITECTURE.md names parts that do not exist"


def upward_edges() -> list[str]:
    table = layers()
    edges = []
    for path in sorted(SOURCE.rglob("*.py")):
        source = part_of(".".join(path.relative_to(SOURCE.parent).with_suffix("").parts))
        if path.parent == SOURCE and path.stem in TOP:
            continue
        for line, target in imports(path):
            if table[part_of(target)] > table[source]:
                edges.append(f"{path.relative_to(ROOT)}:{line}: {source} imports {target}")
    return edges


def test_no_module_imports_from_a_layer_above_its_own():
    assert upward_edges() == []


def test_the_check_sees_imports_inside_functions_and_type_checking(tmp_path):
    fake = tmp_path / "greenspike"
    (fake / "energy").mkdir(parents=True)
    (fake / "energy" / "late.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from greenspike.ledger import Ledger\n"
        "def f():\n    from ..cli import app\n"
    )
    assert [name for _, name in imports(fake / "energy" / "late.py", fake)] == [
        "greenspike.ledger",
        "greenspike.cli",
    ]


@pytest.mark.parametrize("name", ["greenspike.energy", "greenspike.snn"])
def test_the_bottom_layers_import_nothing_above_them_at_run_time(name):
    import subprocess
    import sys

    code = (
        f"import sys, {name}; "
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('greenspike.')}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(eval(done.stdout))
    table = layers()
    assert {part for part in loaded if table[part] > 0} == set()
