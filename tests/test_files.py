import os
import stat

import pytest

from greenspike._files import write_atomically


def test_the_file_gets_the_usual_permissions_and_no_temporary_is_left(tmp_path):
    previous = os.umask(0o022)
    try:
        path = write_atomically(tmp_path / "report.html", "<p>one</p>")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_text() == "<p>one</p>"
    assert os.listdir(tmp_path) == ["report.html"]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = write_atomically(tmp_path / "results.json", "old")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(path, "\ud800")  # a lone surrogate cannot be written as UTF-8
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["results.json"]
