"""Writing files so that a reader, or a crash, never sees half of one."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_atomically(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically: readers see the old file or the new one.

    The text goes to a temporary file beside `path`, which is then renamed over it. The file
    gets the usual permissions (0666 less the umask, which the kernel applies at creation), not
    the private 0600 of a `tempfile` file.

    Raises:
        OSError: the file cannot be written (the temporary file is removed).
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
