"""Keep large freed buffers in the process instead of handing them back to the OS at every step.

glibc's malloc serves every request above its mmap threshold (128 KiB, raised on the fly up
to 32 MiB) with a fresh mapping, and unmaps it when it is freed. A training step that allocates
a buffer above 32 MiB (a spiking layer's spikes over all time steps, the gradient flowing back
into them: 49 MiB each for the 128-channel CNN twin at batch 64 and 8 steps) therefore maps it,
has the kernel zero it page by page on first write (a page fault every 4 KiB), and unmaps it,
at every step: measured, half of such a step's CPU time went to the kernel. PyTorch keeps no
cache of CPU memory, so this is the allocator's policy to change: with mmap off and no trimming
(`mallopt(M_MMAP_MAX, 0)`, `mallopt(M_TRIM_THRESHOLD, INT_MAX)`) the heap keeps what a step
freed and the next step reuses it (after a few steps in which the heap settles: PyTorch asks
for aligned blocks, which a freed block of the same size does not always fit). Measured on the
128-channel CNN twin: from about 40,000 page faults per step to none, for a resident set of
640 MB instead of 500 MB. The price: the process keeps its peak heap until it exits.

Only for processes greenspike owns (its commands that train) or that ask for it: the setting is
process-wide. A C library other than glibc (musl, macOS) is left alone.
"""

from __future__ import annotations

import ctypes
import platform

# mallopt's parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_INT_MAX = 2**31 - 1


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep freed memory for reuse rather than return it to the OS.

    Call it once, early, in a process that trains (greenspike's `compare` and `search` do): a
    training step then reuses the buffers the previous step freed instead of mapping, zeroing
    and unmapping them. The process keeps its peak heap until it exits.

    Returns:
        Whether the setting took effect: False with a C library other than glibc (then
        nothing was changed).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # Trimming off first: without mmap but with trimming, the top of the heap would shrink and
    # grow back (and fault) at every step just the same.
    return bool(mallopt(_M_TRIM_THRESHOLD, _INT_MAX)) and bool(mallopt(_M_MMAP_MAX, 0))
