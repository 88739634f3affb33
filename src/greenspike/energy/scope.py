"""Whose energy a run reports: the machine's, or the tracked processes' share of it.

- "machine": everything the sensors see. A RAPL counter and the CPU estimate cover every
  process on the CPUs; memory is the machine's memory in use. Measured figures stay measured.
- "process": the tracked process and its children. The CPU estimate charges their CPU time, the
  memory estimate their resident memory; a RAPL counter, which covers the whole package, is
  apportioned by their share of the machine's busy CPU time over each reading interval,

      E_process += (E_counter(t) - E_counter(t_last)) * cpu_tree / cpu_busy

  and labelled an apportionment: a measured total times an estimated share.

GPUs are measured whole in both scopes: NVML gives no energy per process.
"""

from __future__ import annotations

from typing import Literal

from greenspike.errors import InvalidInputError

Scope = Literal["machine", "process"]
SCOPES: tuple[Scope, ...] = ("machine", "process")
# Whose energy each scope counts, in words.
WHOSE: dict[Scope, str] = {
    "machine": "everything on these CPUs and GPUs",
    "process": "the tracked process and its children",
}
# Both scopes' figures are shown when they differ by more than this share of the larger
# (and by more than SCOPES_DIFFER_J).
SCOPES_DIFFER = 0.2
SCOPES_DIFFER_J = 1.0


def checked_scope(scope: object) -> Scope:
    """`scope` as a Scope.

    Raises:
        InvalidInputError: it is not "machine" or "process".
    """
    if scope not in SCOPES:
        raise InvalidInputError(f"`scope` must be 'machine' or 'process', got {scope!r}")
    return scope


def other_scope(scope: Scope) -> Scope:
    """The scope that is not `scope`."""
    return "process" if scope == "machine" else "machine"


def scopes_differ(energy_j: float, other_energy_j: float) -> bool:
    """Whether a run's figures in the two scopes differ enough to show both."""
    gap = abs(energy_j - other_energy_j)
    return gap > SCOPES_DIFFER_J and gap > SCOPES_DIFFER * max(energy_j, other_energy_j)
