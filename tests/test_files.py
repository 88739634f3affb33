import os
import stat

import pytest

from greenspike._files import check_writable, check_writable_folder, write_atomically
from greenspike.errors import InvalidInputError


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


def test_a_regular_file_keeps_its_mode(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old")
    path.chmod(0o600)
    write_atomically(path, "new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "new"


def test_a_symlink_is_followed_and_kept(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomically(link, "new")
    assert link.is_symlink()
    assert target.read_text() == "new"


def test_a_hard_link_is_written_in_place_so_both_names_see_it(tmp_path):
    first = tmp_path / "a.json"
    first.write_text("old")
    second = tmp_path / "b.json"
    os.link(first, second)
    write_atomically(second, "new")
    assert first.read_text() == "new"
    assert os.stat(first).st_ino == os.stat(second).st_ino


def test_a_fifo_is_written_through_not_replaced(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_atomically(fifo, "through")
    reader.join(5)
    assert received == ["through"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_dev_null_stays_a_device():
    write_atomically("/dev/null", "nothing")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_sqlite_database_is_refused(tmp_path):
    import sqlite3

    database = tmp_path / "ledger.db"
    sqlite3.connect(database).execute("create table t (x)").connection.commit()
    before = database.read_bytes()
    with pytest.raises(InvalidInputError, match="SQLite database"):
        write_atomically(database, "{}")
    with pytest.raises(InvalidInputError, match="SQLite database"):
        check_writable(database, "--output")
    assert database.read_bytes() == before


def test_a_name_at_the_limit_is_written(tmp_path):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    path = tmp_path / ("r" * (limit - 5) + ".json")
    check_writable(path, "--output")
    write_atomically(path, "{}")
    assert path.read_text() == "{}"


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda tmp: tmp / "missing" / "r.json", "no such folder"),
        (lambda tmp: tmp, "directory"),
        (lambda tmp: tmp / ("r" * 300), "too long"),
    ],
)
def test_check_writable_names_the_option_and_why(tmp_path, make, reason):
    with pytest.raises(InvalidInputError, match=f"--output .*{reason}"):
        check_writable(make(tmp_path), "--output")


def test_check_writable_leaves_nothing_behind(tmp_path):
    check_writable(tmp_path / "r.json", "--output")
    assert os.listdir(tmp_path) == []


def test_check_writable_folder(tmp_path):
    check_writable_folder(tmp_path / "new" / "deeper", "--out")
    (tmp_path / "file").write_text("")
    with pytest.raises(InvalidInputError, match=r"--out .* is not a folder"):
        check_writable_folder(tmp_path / "file" / "sub", "--out")
