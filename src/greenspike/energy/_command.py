"""Run a command in a child process and measure it: the engine of `greenspike track`.

The command runs without a shell. SIGINT and SIGTERM that reach greenspike are passed on to it,
and greenspike waits for it to end: the report then covers the whole run, marked "interrupted".
One exception: when greenspike runs in the foreground of a terminal, Ctrl-C already reaches the
command (they share the terminal's foreground process group), so it is not sent a second time.

With an `EpochsFile`, greenspike reads the command's epoch ends while it runs, and sends it
SIGTERM (a clean stop request, as a scheduler's) when the run goes over its energy budget.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any

from greenspike._secrets import hide_passwords
from greenspike.energy.epochs_file import EpochsFile
from greenspike.energy.measurement import EnergyReport, Status
from greenspike.energy.tracker import Tracker
from greenspike.errors import InvalidInputError

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Seconds between two looks at the command (and reads of the epochs file) while it runs.
POLL_S = 0.2
Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def run_command(
    argv: Sequence[str],
    tracker: Tracker,
    *,
    env: Mapping[str, str] | None = None,
    epochs: EpochsFile | None = None,
) -> tuple[int, EnergyReport]:
    """Run `argv` under `tracker` and return its exit status and the tracker's report.

    A command that cannot be found, or is not executable, is refused before the tracker
    starts: it is an error, not a run.

    Args:
        argv: the command and its arguments.
        tracker: the tracker, not started.
        env: the command's environment (default: this process's); its PATH is where the
            command is looked up.
        epochs: where the command tells its epochs (see greenspike.energy.epochs_file).

    Returns:
        The command's exit status (128 + N if killed by signal N) and the energy report.

    Raises:
        InvalidInputError: `argv` is empty, or its command is not found or not executable.
        OSError: the command was found but could not be started (the run is recorded as
            "failed").
    """
    if not argv:
        raise InvalidInputError(
            "no command to run: greenspike track [OPTIONS] -- COMMAND [ARGS]..."
        )
    check_executable(argv[0], path=None if env is None else env.get("PATH", os.defpath))
    if tracker.name is None:
        tracker.name = hide_passwords(shlex.join(argv))
    if tracker.command is None:
        tracker.command = hide_passwords(shlex.join(argv))
    received: list[int] = []
    pending: list[int] = []  # received before the child existed
    child: list[subprocess.Popen] = []

    def deliver(signum: int) -> None:
        if not (signum == signal.SIGINT and _terminal_interrupts_us()):
            child[0].send_signal(signum)

    def forward(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if child:
            deliver(signum)
        else:
            pending.append(signum)

    launched = threading.Event()  # the sink (a ledger to open) starts once the command runs
    tracker.start(sink_after=launched)
    # Our handlers sit above the tracker's; they come off before it stops, so it can take its own.
    previous = {signum: signal.signal(signum, forward) for signum in FORWARDED_SIGNALS}
    try:
        try:
            child.append(subprocess.Popen(list(argv), env=None if env is None else dict(env)))
        finally:
            launched.set()
    except OSError as error:
        _restore(previous)
        tracker.stop("failed", f"could not start the command: {error}")
        raise OSError(f"cannot run {argv[0]!r}: {error.strerror or error}") from error
    try:
        for signum in pending:
            deliver(signum)
        returncode = _wait(child[0], epochs)
    finally:
        _restore(previous)
    status, note = _ending(returncode, received)
    if tracker.over_budget is not None:
        status = "interrupted"
    return (128 - returncode if returncode < 0 else returncode), tracker.stop(status, note)


def _wait(child: subprocess.Popen, epochs: EpochsFile | None) -> int:
    """Wait for `child`, reading its epochs; SIGTERM it once when the run is over budget.

    The wait wakes every few milliseconds (subprocess polls), never blocks until the child
    ends: a signal whose C handler ran in another thread (the kernel's choice while the main
    thread blocked signals, as subprocess does around vfork) reaches our handler only when the
    main thread next takes the GIL, which a blocking waitpid() would put off until the end.
    """
    if epochs is not None:
        epochs.begin()
    stopped = False
    while True:
        try:
            returncode = child.wait(POLL_S)
        except subprocess.TimeoutExpired:
            returncode = None
        if epochs is not None:
            epochs.poll()
            if returncode is None and epochs.tracker.over_budget is not None and not stopped:
                stopped = True
                child.send_signal(signal.SIGTERM)
        if returncode is not None:
            return returncode


def check_executable(command: str, path: str | None = None) -> None:
    """Check that `command` names a program that can be run, as the shell would look it up.

    Args:
        command: the program: a name looked up on `path`, or a path (it contains "/").
        path: the directories to look in, as PATH (default: this process's PATH).

    Raises:
        InvalidInputError: a name without "/" that is on no directory of PATH as an executable
            file, or a path that is not an executable file.
    """
    if "/" not in command:
        if shutil.which(command, path=path) is None:
            raise InvalidInputError(
                f"cannot run {command!r}: no such command on PATH; nothing was measured"
            )
        return
    if not os.path.isfile(command) or not os.access(command, os.X_OK):
        why = "is not an executable file" if os.path.exists(command) else "does not exist"
        raise InvalidInputError(f"cannot run {command!r}: it {why}; nothing was measured")


def _restore(handlers: Mapping[signal.Signals, Handler]) -> None:
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def _ending(returncode: int, received: list[int]) -> tuple[Status, str | None]:
    if returncode < 0:
        ending = f"the command was killed by {_signal_name(-returncode)}"
    else:
        ending = f"the command exited with status {returncode}"
    if received:
        names = ", ".join(dict.fromkeys(_signal_name(s) for s in received))
        return "interrupted", f"greenspike received {names}; {ending}"
    if returncode < 0:
        return "interrupted", ending
    return ("failed", ending) if returncode else ("finished", None)


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:  # a real-time signal has no name of its own
        return f"signal {signum}"


def _terminal_interrupts_us() -> bool:
    """Whether this process is in the foreground of its terminal.

    There Ctrl-C reaches the whole foreground process group, the child included.
    """
    try:
        terminal = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        return False  # no controlling terminal
    try:
        return os.tcgetpgrp(terminal) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(terminal)
