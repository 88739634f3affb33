"""SIGTERM as an exception, so that `with` blocks and `finally` clauses run: one policy for all.

A tracked run, a comparison and a search all end "interrupted", with what they measured kept,
when SIGTERM arrives (a scheduler's stop, `kill`, `systemctl stop`). Python's default for
SIGTERM kills the process at once, so while one of them runs `sigterm_raises()` turns SIGTERM
into `Terminated`, unwinding the main thread as Ctrl-C does.

Policy: the handler is installed only in the main thread (the only one signals reach) and only
while SIGTERM has its default action, so that an application's own handler is never replaced;
nested uses leave the outermost one in charge, and the default is restored on leaving.

Python runs a signal handler between two bytecodes of the main thread, which may be inside a
garbage-collector or weakref callback, where an exception is "ignored" (printed, then dropped).
A `Terminated` dropped there is not lost: the unraisable hook raises SIGTERM again, so that it
arrives once the callback is over.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

REDELIVER_DELAY_S = 0.01


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
    if sys.unraisablehook is not _note_dropped:
        global _previous_hook
        _previous_hook, sys.unraisablehook = sys.unraisablehook, _note_dropped
        threading.Thread(target=_redeliver, name="greenspike-sigterm", daemon=True).start()
    return True


_previous_hook = sys.unraisablehook
_dropped = threading.Event()  # a Terminated was raised where Python drops exceptions


def _note_dropped(unraisable) -> None:
    """The unraisable hook: notes a dropped `Terminated`; anything else goes on as before."""
    if isinstance(unraisable.exc_value, Terminated):
        _dropped.set()
        return
    _previous_hook(unraisable)


def _redeliver() -> None:
    """Raise SIGTERM again, from this thread, after each dropped `Terminated` (main thread)."""
    while True:
        _dropped.wait()
        _dropped.clear()
        time.sleep(REDELIVER_DELAY_S)  # the callback that dropped it has returned by then
        os.kill(os.getpid(), signal.SIGTERM)


def give_back_sigterm() -> None:
    """Restore SIGTERM's default action if our handler is still the one installed."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is _raise_terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
