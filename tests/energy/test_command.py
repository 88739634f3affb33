"""run_command's signal forwarding, where the signal lands in a thread other than the main one."""

from __future__ import annotations

import signal
import sys
import threading
import time

from greenspike.energy._command import run_command
from greenspike.energy.tracker import Tracker


def test_a_signal_caught_by_another_thread_still_reaches_the_command(fake_meter, tmp_path):
    """The kernel hands a process's signal to any thread that does not block it: while the main
    thread blocks them all (as subprocess does around vfork) another thread runs the C handler,
    and the main thread is told only when it next takes the GIL. Waiting without ever waking
    would then wait for the command's own end: the signal must reach it within a poll."""
    ready = tmp_path / "ready"
    child = f"import pathlib, time; pathlib.Path({str(ready)!r}).touch(); time.sleep(20)"
    waiting = threading.Event()

    def interrupt_from_this_thread() -> None:
        while waiting.is_set() and not ready.exists():
            time.sleep(0.01)
        if waiting.is_set():  # the command runs, and greenspike waits for it
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)

    waiting.set()
    threading.Thread(target=interrupt_from_this_thread, daemon=True).start()
    started_s = time.monotonic()
    try:
        exit_code, report = run_command(
            [sys.executable, "-c", child], Tracker([fake_meter], interval_s=0.05)
        )
    finally:
        waiting.clear()
    assert time.monotonic() - started_s < 10
    assert exit_code == 128 + signal.SIGINT
    assert report.status == "interrupted"
    assert "greenspike received SIGINT; the command was killed by SIGINT" in report.notes
