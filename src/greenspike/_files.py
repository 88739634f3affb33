"""Writing output files: never half a file, never over what is not an output file.

A reader, or a crash, never sees half a file, and nothing that is not an output file (a device,
a FIFO, a database) is ever replaced.

What happens at the target path, decided once here for every command that writes a file:

- a new file, or a regular file: the content goes to a temporary file beside it, renamed over
  it (atomic); an existing file keeps its permission bits (and, as root, its owner);
- a symbolic link is followed: the file it points to is written, the link is kept;
- a regular file with other hard links is written in place, so that every name sees the new
  content (not atomic: the only way to keep the links);
- a character or block device or a FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written
  through, never replaced by a regular file;
- a directory, a read-only file or an SQLite database (a ledger) is refused.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from greenspike.errors import InvalidInputError

_SQLITE_HEADER = b"SQLite format 3\x00"


def write_atomically(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` (UTF-8) to `path`; readers see the old file or the new one.

    See the module's docstring for what happens with links, devices and FIFOs. A new file gets
    the usual permissions (0666 less the umask), not the private 0600 of a `tempfile` file.

    Raises:
        OSError: the file cannot be written (the temporary file is removed, the old file kept).
        InvalidInputError: `path` is an SQLite database.
    """
    return write_with(path, lambda temporary: _write_text(temporary, text))


def write_with(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Have `write(temporary_path)` write the file, then put it at `path` (see the module).

    Returns:
        `path`, as given (a symbolic link is not resolved in it).

    Raises:
        OSError: the file cannot be written (the temporary file is removed, the old file kept).
        InvalidInputError: `path` is an SQLite database.
    """
    given = Path(path)
    target = Path(os.path.realpath(given))
    existing = _existing(target)
    if existing is None or (stat.S_ISREG(existing.st_mode) and existing.st_nlink == 1):
        _replace(target, existing, write)
    else:
        _check_replaceable(target, existing)
        with tempfile.TemporaryDirectory(prefix="greenspike-") as folder:
            staged = Path(folder) / "output"
            write(staged)
            # through a device or FIFO, or in place into a hard-linked file
            with open(staged, "rb") as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
    return given


def check_writable(path: str | os.PathLike[str], option: str) -> None:
    """Check, before any work, that `write_with(path, ...)` can write there.

    A full disk cannot be foreseen; everything else that would make the final write fail is
    caught: a missing or read-only folder, a name too long, a directory, a read-only file, a
    database.

    Raises:
        InvalidInputError: naming `option` and why the path cannot be written.
    """
    given = Path(path)
    target = Path(os.path.realpath(given))
    try:
        existing = _existing(target)
        if existing is not None:
            _check_replaceable(target, existing)
            if not stat.S_ISREG(existing.st_mode) or existing.st_nlink > 1:
                return  # written through: it only needs to be writable, as checked
        if not target.parent.is_dir():
            raise FileNotFoundError(errno.ENOENT, "no such folder", str(target.parent))
        probe = target.parent / f".greenspike-{uuid.uuid4().hex[:12]}.tmp"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as error:
        reason = error.strerror or str(error)
        where = error.filename if error.filename not in (None, str(target)) else None
        detail = f"{reason}: {where}" if where else reason
        raise InvalidInputError(f"{option} {given}: cannot write there ({detail})") from error


def check_writable_folder(path: str | os.PathLike[str], option: str) -> None:
    """Check, before any work, that the folder `path` exists or can be made, and is writable.

    Raises:
        InvalidInputError: naming `option` and why not.
    """
    given = Path(path)
    folder = Path(os.path.realpath(given))
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise InvalidInputError(f"{option} {given}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidInputError(f"{option} {given}: cannot write in {folder} (permission denied)")


def _existing(target: Path) -> os.stat_result | None:
    try:
        return os.stat(target)
    except FileNotFoundError:
        return None


def _check_replaceable(target: Path, existing: os.stat_result) -> None:
    if stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(target))
    if not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "not writable", str(target))
    if stat.S_ISREG(existing.st_mode):
        with open(target, "rb") as file:
            if file.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER:
                raise InvalidInputError(
                    f"{target} is an SQLite database (a ledger?): greenspike does not write "
                    "over it; choose another file"
                )
    elif not (
        stat.S_ISCHR(existing.st_mode)
        or stat.S_ISBLK(existing.st_mode)
        or stat.S_ISFIFO(existing.st_mode)
    ):
        raise OSError(errno.EINVAL, "neither a file, a device nor a FIFO", str(target))


def _replace(target: Path, existing: os.stat_result | None, write: Callable[[Path], None]) -> None:
    if existing is not None:
        _check_replaceable(target, existing)
    # a short name: a target whose name is near the limit still gets a temporary file
    temporary = target.with_name(f".greenspike-{uuid.uuid4().hex[:12]}.tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(temporary)
        if existing is not None:
            os.chmod(temporary, stat.S_IMODE(existing.st_mode))
            if os.geteuid() == 0:
                os.chown(temporary, existing.st_uid, existing.st_gid)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
