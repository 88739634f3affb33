"""What one process of a distributed job measures, so that the job counts every sensor once.

- **Node sensors** (RAPL packages and DRAM, the CPU and memory estimates) cover the whole node.
  In machine scope one process per node takes them: local rank 0 where the launcher gives local
  ranks, otherwise the first process of the job on the node to claim them. In process scope
  every rank takes its own share (the CPU time of its processes), and the shares add up.
- **GPUs.** A rank with others on its node measures the visible GPU at its local rank (modulo
  the number visible: ranks beyond it share GPUs); a rank alone on its node, or one whose local
  rank is unknown, measures every visible GPU; `gpus=` chooses explicitly. Each GPU is claimed
  by its UUID, so that a GPU that two ranks share is measured once.

A claim is an exclusive, non-blocking `flock` on a file in the node's temporary folder, named
after the user, the job and the claim: the kernel gives it to exactly one process (no race),
never makes anyone wait, and releases it when its holder stops or dies. The files stay behind
(empty), since removing a lock file while another process opens it would let two hold it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from greenspike.energy.placement import Placement
from greenspike.energy.scope import Scope
from greenspike.errors import InvalidInputError

GpuChoice = Literal["auto", "all"] | Sequence[int]


def checked_gpus(gpus: object) -> GpuChoice:
    """`gpus` as a GpuChoice: "auto", "all", or CUDA device numbers (integers >= 0).

    Raises:
        InvalidInputError: anything else.
    """
    if gpus == "auto" or gpus == "all":
        return gpus
    if (
        isinstance(gpus, Sequence)
        and not isinstance(gpus, str)
        and all(isinstance(g, int) and not isinstance(g, bool) and g >= 0 for g in gpus)
    ):
        return tuple(int(g) for g in gpus)
    raise InvalidInputError(
        f"gpus must be 'auto', 'all' or a list of CUDA device numbers >= 0, got {gpus!r}"
    )


class NodeClaims:
    """Claims of one job on this node, each granted to exactly one process (see the module).

    Args:
        job_id: the job the claims belong to.
        folder: where the lock files go (default: the system's temporary folder).
    """

    def __init__(self, job_id: str, folder: str | os.PathLike[str] | None = None):
        digest = hashlib.sha256(job_id.encode()).hexdigest()[:16]
        self.folder = Path(folder if folder is not None else tempfile.gettempdir())
        self._prefix = f"greenspike-{_uid()}-{digest}"
        self._held: dict[str, int] = {}
        #: Claims that could not be decided (no lock file): what happened, for the report.
        self.notes: list[str] = []

    def claim(self, what: str, otherwise: bool = True) -> bool:
        """Whether this process holds `what` now (it keeps it until `release()`).

        Args:
            what: the claim, e.g. "node" or "gpu-GPU-8f3a...".
            otherwise: the answer when no lock can be taken here (no flock, or the lock file
                cannot be opened); noted in `notes`.
        """
        if what in self._held:
            return True
        try:
            import fcntl
        except ImportError:  # not POSIX
            self.notes.append(
                f"no file locks on this system to claim {what}: {_fallback(otherwise)}"
            )
            return otherwise
        path = self.folder / f"{self._prefix}-{re.sub(r'[^A-Za-z0-9._-]', '_', what)}.lock"
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as error:
            self.notes.append(f"cannot open the lock file {path} ({error}): {_fallback(otherwise)}")
            return otherwise
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another process of the job holds it
            os.close(descriptor)
            return False
        self._held[what] = descriptor
        return True

    def release(self) -> None:
        """Give every claim back."""
        for descriptor in self._held.values():
            os.close(descriptor)
        self._held.clear()


@dataclass(frozen=True)
class Duties:
    """What this process measures.

    Attributes:
        node_sensors: whether it reads the node's CPU, DRAM and memory figures.
        gpus: CUDA device numbers (positions among the visible GPUs) it measures; None: every
            visible GPU.
        claims: the job's claims on this node, through which GPUs are claimed; None when the
            process is not part of a distributed job.
        notes: what another process measures instead, for the report.
    """

    node_sensors: bool = True
    gpus: tuple[int, ...] | None = None
    claims: NodeClaims | None = None
    notes: tuple[str, ...] = ()


def assign_duties(
    placement: Placement,
    scope: Scope = "machine",
    gpus: GpuChoice = "auto",
    claims_folder: str | os.PathLike[str] | None = None,
) -> Duties:
    """This process's duties in its job (see the module); all of them outside a distributed job.

    Args:
        placement: where the process sits (see `detect_placement`).
        scope: "machine" (one process per node reads the node's sensors) or "process" (each
            reads its own share).
        gpus: "auto", "all", or the CUDA device numbers to measure.
        claims_folder: where the claims' lock files go (default: the temporary folder).
    """
    explicit = None if isinstance(gpus, str) else tuple(gpus)
    if not placement.distributed or placement.job_id is None:
        return Duties(gpus=explicit)
    claims = NodeClaims(placement.job_id, claims_folder)
    notes = []
    if scope == "process":
        node_sensors = True
    elif placement.local_rank is not None:
        node_sensors = placement.local_rank == 0
        if not node_sensors:
            notes.append("the node's CPU and memory are measured by local rank 0 of this node")
    else:
        node_sensors = claims.claim("node")
        if not node_sensors:
            notes.append("the node's CPU and memory are measured by another rank on this node")
    shared_node = (placement.local_world_size or 0) > 1
    if explicit is not None:
        chosen = explicit
    elif gpus == "auto" and shared_node and placement.local_rank is not None:
        chosen = (placement.local_rank,)
    else:
        chosen = None
    return Duties(node_sensors, chosen, claims, tuple(notes))


def _uid() -> int | str:
    getuid = getattr(os, "getuid", None)
    return getuid() if getuid is not None else os.environ.get("USERNAME", "user")


def _fallback(otherwise: bool) -> str:
    return "measured here, and maybe by another rank too" if otherwise else "not measured here"
