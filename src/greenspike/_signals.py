"""SIGTERM as an exception, so that `with` blocks and `finally` clauses run: one policy for all.

A tracked run, a comparison and a search all end "interrupted", with what they measured kept,
when SIGTERM arrives (a scheduler's stop, `kill`, `systemctl stop`). Python's default for
SIGTERM kills the process at once, so while one of them runs `sigterm_raises()` turns SIGTERM
into `Terminated`, unwinding the main thread as Ctrl-C does.

Policy: the handler is installed only in the main thread (the only one signals reach) and only
while SIGTERM has its default action, so that an application's own handler is never replaced;
nested uses leave the outermost one in charge, and the default is restored on leaving.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(SystemExit):
    """SIGTERM arrived while greenspike was running: unwinds the main thread like Ctrl-C.

    A SystemExit with status 128 + SIGTERM (143), so that an uncaught one exits as the signal
    would have.
    """


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(128 + signum)


@contextmanager
def sigterm_raises() -> Iterator[bool]:
    """Within the block, SIGTERM raises `Terminated` (see the module's policy).

    Yields:
        Whether this call installed the handler (False: another thread, another handler, or an
        outer `sigterm_raises` already in charge).
    """
    if not take_sigterm():
        yield False
        return
    try:
        yield True
    finally:
        give_back_sigterm()


def take_sigterm() -> bool:
    """Install the handler if the policy allows it; returns whether it did."""
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return False
    signal.signal(signal.SIGTERM, _raise_terminated)
    return True


def give_back_sigterm() -> None:
    """Restore SIGTERM's default action if our handler is still the one installed."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is _raise_terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
