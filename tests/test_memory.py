"""`keep_freed_memory`: glibc keeps large freed buffers for reuse instead of unmapping them."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from greenspike import _memory, keep_freed_memory

# A step that allocates two 64 MiB buffers (above glibc's largest mmap threshold, 32 MiB), as
# a training step allocates spikes and their gradient: the minor page faults per step, after
# ten steps to settle. Each buffer mapped afresh faults once per 4 KiB page (16,384 times);
# kept and reused, it does not fault at all.
FAULTS = """
import resource, sys, torch
from greenspike import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def step():
    ones = torch.ones(2**24)
    return float((ones + 1)[0])
for _ in range(10):
    step()
before = faults()
for _ in range(10):
    step()
print((faults() - before) / 10)
"""

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def faults_per_step(mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", FAULTS, mode], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return float(done.stdout.strip())


@pytest.mark.skipif(not GLIBC, reason="the setting is glibc's")
def test_a_freed_large_buffer_is_reused_instead_of_mapped_again():
    assert faults_per_step("default") > 30_000  # every page of both faulted in again
    assert faults_per_step("keep") < 1_000


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.setattr(_memory.platform, "libc_ver", lambda: ("", ""))
    assert keep_freed_memory() is False
