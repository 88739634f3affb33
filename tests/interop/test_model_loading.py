"""Issue 21 item 19: a model file that raises, does not parse, needs arguments or calls
sys.exit() is a clear error naming the file, never a traceback or a silent exit 0."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize(
    ("source", "attribute", "message"),
    [
        ("raise RuntimeError('no GPU here')\n", "net", "running .*model.py failed: RuntimeError"),
        ("def net(:\n", "net", "running .*model.py failed: SyntaxError"),
        ("import sys\nsys.exit(0)\n", "net", r"called sys.exit\(0\) and gave no model"),
        ("def net(width):\n    pass\n", "net", r"calling net\(\) of .* failed: TypeError"),
    ],
)
def test_a_broken_model_file_is_one_clear_error(cli, tmp_path, source, attribute, message):
    model = tmp_path / "model.py"
    model.write_text(source)
    out = tmp_path / "out.nir"
    result = cli("nir", "export", f"{model}:{attribute}", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error:"), result.output
    assert "Traceback" not in result.output
    assert re.search(message, result.stderr), result.stderr
    assert not out.exists()
