"""Where a process sits in a distributed job: its rank, its node, and the job it belongs to.

Read from what the launcher puts in the environment, the first that applies:

- torchrun: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK (the node) and
  TORCHELASTIC_RUN_ID (the job);
- Slurm's srun: SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_TASKS_PER_NODE (with
  SLURM_NODEID, the node), and SLURM_JOB_ID with SLURM_STEP_ID (the job);
- torch.distributed initialised by the program itself: get_rank() and get_world_size().

torchrun inside a Slurm allocation gives its ranks both sets; torchrun's are the ranks, Slurm's
job id is kept. The job id is, in order: the one given (`job_id=`), $GREENSPIKE_JOB_ID, Slurm's
job and step, torchrun's run id (unless "none", its default for multi-node runs without
`--rdzv-id`), and else, for a distributed process, one made from the parent process (the
launcher), which its sibling ranks on this node share: a job split over several nodes then needs
one of the others to be grouped.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import psutil

from greenspike.errors import InvalidInputError

Launcher = Literal["torchrun", "slurm", "torch.distributed"]
JOB_ID_ENV = "GREENSPIKE_JOB_ID"
_SLURM_TASKS = re.compile(r"^(\d+)(?:\(x(\d+)\))?$")


@dataclass(frozen=True)
class Placement:
    """A process's place in its job; every field None where the launcher does not say.

    Attributes:
        launcher: what started the ranks: "torchrun", "slurm", "torch.distributed", or None.
        job_id: what the ranks of one job share.
        rank: this process's rank among all, 0 ... world_size - 1.
        world_size: how many ranks the job has.
        local_rank: its rank among the ranks of its node.
        local_world_size: how many ranks run on its node.
        node_rank: its node's number in the job.
        host: the node's host name.
    """

    launcher: Launcher | None = None
    job_id: str | None = None
    rank: int | None = None
    world_size: int | None = None
    local_rank: int | None = None
    local_world_size: int | None = None
    node_rank: int | None = None
    host: str = ""

    @property
    def distributed(self) -> bool:
        """Whether the job has more than one rank."""
        return self.world_size is not None and self.world_size > 1

    def summary(self) -> str:
        """One line, e.g. "rank 1 of 8 (local rank 1, node 0) under torchrun, job 3f2a"."""
        where = [f"local rank {self.local_rank}"] if self.local_rank is not None else []
        if self.node_rank is not None:
            where.append(f"node {self.node_rank}")
        inside = f" ({', '.join(where)})" if where else ""
        launcher = f" under {self.launcher}" if self.launcher else ""
        return f"rank {self.rank} of {self.world_size}{inside}{launcher}, job {self.job_id}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Placement:
        """The placement `to_dict()` wrote; unknown keys are ignored."""
        known = {f: data[f] for f in cls.__dataclass_fields__ if f in data}
        return cls(**known)


def check_job_id(job_id: object) -> None:
    """Check that `job_id` is None or a non-empty string of at most 255 characters.

    Raises:
        InvalidInputError: it is not.
    """
    if job_id is None:
        return
    if not isinstance(job_id, str) or not job_id.strip() or len(job_id) > 255:
        raise InvalidInputError(
            f"`job_id` must be a non-empty text of at most 255 characters, got {job_id!r}"
        )


def detect_placement(
    job_id: str | None = None, environ: Mapping[str, str] | None = None
) -> Placement:
    """This process's placement, from the launcher's environment (see the module's table).

    Args:
        job_id: the job id to use, instead of the one the environment gives.
        environ: the environment to read (default: os.environ).

    Raises:
        InvalidInputError: `job_id` (or $GREENSPIKE_JOB_ID) is not a valid job id.
    """
    env = os.environ if environ is None else environ
    job_id = job_id if job_id is not None else env.get(JOB_ID_ENV) or None
    check_job_id(job_id)
    host = socket.gethostname()
    slurm_job = _slurm_job_id(env)
    if _ints(env, "RANK", "WORLD_SIZE") is not None:
        rank, world_size = _ints(env, "RANK", "WORLD_SIZE") or (0, 1)
        run_id = env.get("TORCHELASTIC_RUN_ID")
        placement = Placement(
            launcher="torchrun",
            job_id=job_id or slurm_job or (run_id if run_id and run_id != "none" else None),
            rank=rank,
            world_size=world_size,
            local_rank=_int(env, "LOCAL_RANK"),
            local_world_size=_int(env, "LOCAL_WORLD_SIZE"),
            node_rank=_int(env, "GROUP_RANK"),
            host=host,
        )
    elif _ints(env, "SLURM_PROCID", "SLURM_NTASKS") is not None:
        rank, world_size = _ints(env, "SLURM_PROCID", "SLURM_NTASKS") or (0, 1)
        node_rank = _int(env, "SLURM_NODEID")
        placement = Placement(
            launcher="slurm",
            job_id=job_id or slurm_job,
            rank=rank,
            world_size=world_size,
            local_rank=_int(env, "SLURM_LOCALID"),
            local_world_size=_slurm_tasks_on_node(env.get("SLURM_TASKS_PER_NODE"), node_rank),
            node_rank=node_rank,
            host=host,
        )
    else:
        rank_size = _torch_distributed()
        if rank_size is None:
            return Placement(job_id=job_id, host=host)
        placement = Placement(
            launcher="torch.distributed",
            job_id=job_id,
            rank=rank_size[0],
            world_size=rank_size[1],
            host=host,
        )
    if placement.job_id is None and placement.distributed:
        placement = replace(placement, job_id=_launcher_job_id(host))
    return placement


def _int(env: Mapping[str, str], name: str) -> int | None:
    value = env.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _ints(env: Mapping[str, str], first: str, second: str) -> tuple[int, int] | None:
    a, b = _int(env, first), _int(env, second)
    return None if a is None or b is None else (a, b)


def _slurm_job_id(env: Mapping[str, str]) -> str | None:
    job = env.get("SLURM_JOB_ID") or env.get("SLURM_JOBID")
    if not job:
        return None
    step = env.get("SLURM_STEP_ID") or env.get("SLURM_STEPID")
    return f"slurm-{job}.{step}" if step else f"slurm-{job}"


def _slurm_tasks_on_node(tasks_per_node: str | None, node_rank: int | None) -> int | None:
    """Tasks on node `node_rank` from SLURM_TASKS_PER_NODE, e.g. "2(x3),1": 2, 2, 2, 1."""
    if not tasks_per_node or node_rank is None:
        return None
    counts: list[int] = []
    for part in tasks_per_node.split(","):
        match = _SLURM_TASKS.match(part.strip())
        if match is None:
            return None
        counts += [int(match[1])] * int(match[2] or 1)
    return counts[node_rank] if node_rank < len(counts) else None


def _torch_distributed() -> tuple[int, int] | None:
    """(rank, world size) of an initialised torch.distributed; never imports torch."""
    torch = sys.modules.get("torch")
    distributed = getattr(torch, "distributed", None) if torch is not None else None
    if distributed is None or not distributed.is_available() or not distributed.is_initialized():
        return None
    return distributed.get_rank(), distributed.get_world_size()


def _launcher_job_id(host: str) -> str:
    """An id the ranks started by one launcher on this node share: host, parent pid and start."""
    parent = psutil.Process().parent()
    if parent is None:
        return f"{host}-{os.getpid()}"
    try:
        started = int(parent.create_time())
    except psutil.Error:
        started = 0
    return f"{host}-{parent.pid}-{started}"
