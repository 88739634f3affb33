"""SIGTERM as `Terminated`: one policy, and a signal is not lost inside a GC callback."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

from greenspike._signals import Terminated, sigterm_raises


def test_only_the_main_thread_with_the_default_handler_takes_sigterm():
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with sigterm_raises() as took:
            assert took
            with sigterm_raises() as nested:
                assert not nested  # the outer one is in charge
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        mine = signal.signal(signal.SIGTERM, lambda *a: None)
        with sigterm_raises() as took:
            assert not took  # an application's own handler is never replaced
        signal.signal(signal.SIGTERM, mine)
        seen = []
        thread = threading.Thread(target=lambda: seen.append(sigterm_raises().__enter__()))
        thread.start()
        thread.join()
        assert seen == [False]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_sigterm_inside_a_weakref_callback_still_arrives():
    code = """
import os, signal, time, weakref
from greenspike._signals import Terminated, sigterm_raises

class Thing:
    pass

def callback(ref):  # the handler runs in here, where Python drops exceptions
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.01)

with sigterm_raises():
    try:
        thing = Thing()
        ref = weakref.ref(thing, callback)
        del thing
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            sum(range(10))
        print("lost")
    except Terminated:
        print("arrived")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "arrived", done.stderr


def test_terminated_exits_as_sigterm_would():
    assert Terminated(128 + signal.SIGTERM).code == 143
    assert issubclass(Terminated, SystemExit)
