"""Where a process sits in a distributed job: torchrun, Slurm, torch.distributed, or alone."""

from __future__ import annotations

import os

import psutil
import pytest

from greenspike.energy.placement import JOB_ID_ENV, Placement, detect_placement
from greenspike.errors import InvalidInputError

TORCHRUN = {
    "RANK": "5",
    "WORLD_SIZE": "8",
    "LOCAL_RANK": "1",
    "LOCAL_WORLD_SIZE": "4",
    "GROUP_RANK": "1",
    "TORCHELASTIC_RUN_ID": "3f2a",
}
SRUN = {
    "SLURM_PROCID": "3",
    "SLURM_NTASKS": "6",
    "SLURM_LOCALID": "0",
    "SLURM_NODEID": "2",
    "SLURM_TASKS_PER_NODE": "2(x2),1,1",
    "SLURM_JOB_ID": "4242",
    "SLURM_STEP_ID": "0",
}


def test_torchrun_gives_ranks_node_and_run_id():
    placement = detect_placement(environ=TORCHRUN)
    assert placement == Placement(
        launcher="torchrun",
        job_id="3f2a",
        rank=5,
        world_size=8,
        local_rank=1,
        local_world_size=4,
        node_rank=1,
        host=placement.host,
    )
    assert placement.distributed and placement.host


def test_slurm_gives_ranks_tasks_on_this_node_and_job_step():
    placement = detect_placement(environ=SRUN)
    assert (placement.launcher, placement.job_id) == ("slurm", "slurm-4242.0")
    assert (placement.rank, placement.world_size, placement.local_rank) == (3, 6, 0)
    assert (placement.node_rank, placement.local_world_size) == (2, 1)  # "2(x2),1,1": node 2 has 1


def test_torchrun_inside_slurm_keeps_torchruns_ranks_and_slurms_job():
    placement = detect_placement(environ={**SRUN, **TORCHRUN})
    assert (placement.launcher, placement.rank, placement.local_rank) == ("torchrun", 5, 1)
    assert placement.job_id == "slurm-4242.0"


def test_the_given_job_id_wins_then_the_environment_variable():
    assert detect_placement("mine", environ={**TORCHRUN, JOB_ID_ENV: "env"}).job_id == "mine"
    assert detect_placement(environ={**TORCHRUN, JOB_ID_ENV: "env"}).job_id == "env"


def test_without_a_run_id_the_ranks_of_one_launcher_share_their_parents_id():
    # torchrun's default run id for multi-node jobs without --rdzv-id is "none": no job id
    placement = detect_placement(environ={**TORCHRUN, "TORCHELASTIC_RUN_ID": "none"})
    parent = psutil.Process().parent()
    assert placement.job_id == f"{placement.host}-{parent.pid}-{int(parent.create_time())}"


def test_a_single_process_is_not_distributed():
    placement = detect_placement(environ={})
    assert placement == Placement(host=placement.host) and not placement.distributed
    assert not detect_placement(environ={"RANK": "0", "WORLD_SIZE": "1"}).distributed


def test_placement_round_trips_through_its_dict():
    placement = detect_placement(environ=TORCHRUN)
    assert Placement.from_dict(placement.to_dict()) == placement


@pytest.mark.parametrize("job_id", ["", "   ", "x" * 256, 7])
def test_a_bad_job_id_is_refused(job_id):
    with pytest.raises(InvalidInputError, match="`job_id` must be a non-empty text"):
        detect_placement(job_id, environ={})


def test_the_real_environment_is_read_by_default(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("SLURM_", "RANK", "WORLD_SIZE", "LOCAL_", "GROUP_", "TORCHELASTIC")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv(JOB_ID_ENV, "job-7")
    placement = detect_placement()
    assert (placement.rank, placement.world_size, placement.job_id) == (1, 2, "job-7")
