"""Compile the C kernels once per machine and cache the shared libraries across processes.

The library lands in `$GREENSPIKE_KERNEL_CACHE` (default `~/.cache/greenspike/kernels`), named
by a hash of the source, the flags, the compiler and the CPU, so any change rebuilds it. gcc
takes under a second (the C source includes no PyTorch headers); the first build says so on
stderr. No compiler, or a failed build: `None`, with one warning, and callers use the reference.
Three libraries: the fused LIF kernel (`lif_cpu.c`), the event-driven Linear + LIF of
inference (`event_cpu.c`) and the 2x2 max pool (`pool_cpu.c`).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

SOURCES = ("lif_cpu.c", "lif_cpu_body.h")
EVENT_SOURCES = ("event_cpu.c",)
POOL_SOURCES = ("pool_cpu.c",)
# -ffp-contract=off: no fused multiply-add, so every product rounds as in PyTorch's loop.
FLAGS = ("-O3", "-march=native", "-ffp-contract=off", "-fopenmp", "-fPIC", "-shared")
# A compiler slower than this is given up on: the reference loop is used instead.
COMPILE_TIMEOUT_S = 120.0


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "greenspike"
    return Path(os.environ.get("GREENSPIKE_KERNEL_CACHE", default / "kernels"))


@functools.cache
def load_cpu_library() -> ctypes.CDLL | None:
    """The compiled LIF kernel (built on first use), or None where it cannot be built."""
    return load_library(SOURCES, "fused LIF kernel")


@functools.cache
def load_event_library() -> ctypes.CDLL | None:
    """The compiled event-driven Linear + LIF kernel, or None where it cannot be built."""
    return load_library(EVENT_SOURCES, "event-driven CPU kernel")


@functools.cache
def load_pool_library() -> ctypes.CDLL | None:
    """The compiled 2x2 max pool kernel, or None where it cannot be built."""
    return load_library(POOL_SOURCES, "2x2 max pool kernel", "PyTorch's own max pool")


def load_library(
    sources: tuple[str, ...], what: str, fallback: str = "the PyTorch reference loop"
) -> ctypes.CDLL | None:
    """The library built from `sources` (the first is compiled; the others are its headers).

    Args:
        sources: file names beside this module.
        what: what the library is, for the messages.
        fallback: what runs without it, for the messages.

    Returns:
        The loaded library, or None (with a RuntimeWarning) where it cannot be built.
    """
    compiler = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        _warn(what, "no C compiler found (set CC or install gcc)", fallback)
        return None
    here = Path(__file__).parent
    texts = [(here / name).read_bytes() for name in sources]
    stem = Path(sources[0]).stem
    target = cache_dir() / f"{stem}-{_fingerprint(compiler, texts)}.so"
    if not target.exists():
        try:
            _compile(compiler, here / sources[0], target, what)
        except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            details = getattr(error, "stderr", "") or error
            _warn(what, f"compiling it with {compiler} failed: {details}", fallback)
            return None
    try:
        return ctypes.CDLL(str(target))
    except OSError as error:  # e.g. a library left damaged in the cache: delete it to rebuild
        _warn(what, f"loading {target} failed: {error}", fallback)
        return None


def _compile(compiler: str, source: Path, target: Path, what: str) -> None:
    print(
        f"greenspike: compiling the {what} (first use, cached afterwards in {target.parent})...",
        file=sys.stderr,
        flush=True,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: processes building at once never see half a file.
    handle, partial = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(handle)
    try:
        subprocess.run(
            [compiler, *FLAGS, "-o", partial, str(source), "-lm"],
            check=True,
            capture_output=True,
            text=True,
            timeout=COMPILE_TIMEOUT_S,
        )
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _fingerprint(compiler: str, sources: list[bytes]) -> str:
    digest = hashlib.sha256()
    for part in (*sources, " ".join(FLAGS).encode(), compiler.encode(), _cpu_model().encode()):
        digest.update(part)
    return digest.hexdigest()[:16]


def _cpu_model() -> str:
    """The CPU's model and feature flags: -march=native code is only valid on the same CPU."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    wanted = [line for line in lines if line.startswith(("model name", "flags"))]
    return "\n".join(dict.fromkeys(wanted))


def _warn(what: str, reason: str, fallback: str) -> None:
    warnings.warn(
        f"greenspike's {what} is unavailable: {reason}; "
        f"using {fallback} instead (same results, slower)",
        RuntimeWarning,
        stacklevel=5,
    )
