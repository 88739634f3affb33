"""What each process of a distributed job measures: node sensors once per node, each GPU once."""

from __future__ import annotations

import subprocess
import sys

import pytest

from greenspike.energy.duties import NodeClaims, assign_duties, checked_gpus
from greenspike.energy.meters.auto import select_meters
from greenspike.energy.meters.nvml import NvmlMeter
from greenspike.energy.placement import Placement
from greenspike.errors import InvalidInputError


def rank(local_rank, local_world_size=2, rank=None, world_size=4, job_id="job"):
    return Placement(
        launcher="torchrun",
        job_id=job_id,
        rank=local_rank if rank is None else rank,
        world_size=world_size,
        local_rank=local_rank,
        local_world_size=local_world_size,
    )


def test_a_claim_goes_to_one_holder_until_it_gives_it_back(tmp_path):
    first, second = NodeClaims("job", tmp_path), NodeClaims("job", tmp_path)
    assert first.claim("node") and first.claim("node")  # held: asking again keeps it
    assert not second.claim("node")
    assert NodeClaims("another job", tmp_path).claim("node")
    first.release()
    assert second.claim("node")
    second.release()


def test_a_claim_is_exclusive_across_processes_and_freed_when_its_holder_dies(tmp_path):
    code = (
        "import sys, time; from greenspike.energy.duties import NodeClaims; "
        f"c = NodeClaims('job', {str(tmp_path)!r}); print(c.claim('node'), flush=True); "
        "time.sleep(30)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "True"
        assert not NodeClaims("job", tmp_path).claim("node")
    finally:
        holder.kill()
        holder.wait()
    assert NodeClaims("job", tmp_path).claim("node")  # the kernel released it


def test_a_lock_file_that_cannot_be_opened_gives_the_fallback_and_a_note(tmp_path):
    claims = NodeClaims("job", tmp_path / "no such folder")
    assert claims.claim("node") is True and claims.claim("gpu-x", otherwise=False) is False
    assert "cannot open the lock file" in claims.notes[0]


def test_outside_a_distributed_job_a_process_measures_everything():
    duties = assign_duties(Placement(host="h"))
    assert (duties.node_sensors, duties.gpus, duties.claims) == (True, None, None)
    assert assign_duties(Placement(host="h"), gpus=[1, 0]).gpus == (1, 0)


def test_in_machine_scope_local_rank_zero_takes_the_node(tmp_path):
    zero, one = (assign_duties(rank(r), claims_folder=tmp_path) for r in (0, 1))
    assert zero.node_sensors and not one.node_sensors
    assert "measured by local rank 0" in one.notes[0]
    assert (zero.gpus, one.gpus) == ((0,), (1,))  # each rank its own GPU


def test_in_process_scope_every_rank_takes_its_own_share_of_the_node(tmp_path):
    assert assign_duties(rank(1), "process", claims_folder=tmp_path).node_sensors


def test_without_local_ranks_the_first_claimant_takes_the_node(tmp_path):
    placement = Placement(launcher="torch.distributed", job_id="j", rank=0, world_size=2)
    first = assign_duties(placement, claims_folder=tmp_path)
    second = assign_duties(placement, claims_folder=tmp_path)
    assert first.node_sensors and not second.node_sensors
    assert first.gpus is None  # its GPUs are claimed one by one
    first.claims.release()


def test_a_rank_alone_on_its_node_measures_every_visible_gpu(tmp_path):
    assert assign_duties(rank(0, local_world_size=1), claims_folder=tmp_path).gpus is None
    assert assign_duties(rank(1), gpus="all", claims_folder=tmp_path).gpus is None


@pytest.mark.parametrize("gpus", ["some", [-1], [True], [0.5], None])
def test_bad_gpu_choices_are_refused(gpus):
    with pytest.raises(InvalidInputError, match="gpus must be 'auto', 'all' or a list"):
        checked_gpus(gpus)


def test_each_gpu_is_measured_by_one_rank_even_when_ranks_share_it(tmp_path, fake_nvml, fake_gpu):
    module = fake_nvml(fake_gpu("A100", "GPU-a"), fake_gpu("A100", "GPU-b"))
    claims = [NodeClaims("job", tmp_path) for _ in range(4)]
    meters = [
        NvmlMeter(module, cuda_visible_devices=None, devices=(r,), claim=claims[r].claim)
        for r in range(4)  # 4 ranks, 2 GPUs: ranks 2 and 3 share them with 0 and 1
    ]
    for meter in meters:
        meter.start()
    measured = [[c.name for c in m.components()] for m in meters]
    assert measured == [["gpu:0"], ["gpu:1"], [], []]
    assert meters[2].elsewhere == ["gpu:0"] and meters[3].elsewhere == ["gpu:1"]


def test_the_selection_follows_the_duties(tmp_path, powercap, fake_nvml, fake_gpu):
    powercap.server(packages=1)
    module = fake_nvml(fake_gpu("A100", "GPU-a"), fake_gpu("A100", "GPU-b"))
    zero = select_meters(
        duties=assign_duties(rank(0), claims_folder=tmp_path),
        rapl_root=powercap.root,
        nvml=module,
    )
    one = select_meters(
        duties=assign_duties(rank(1), claims_folder=tmp_path),
        rapl_root=powercap.root,
        nvml=module,
    )
    names = [[c.name for m in s.meters for c in m.components()] for s in (zero, one)]
    assert names == [["cpu:package-0", "dram:0", "gpu:0"], ["gpu:1"]]
    assert "the node's CPU and memory are measured by local rank 0 of this node" in one.notes


def test_ranks_that_each_see_only_their_own_gpu_measure_it(tmp_path, fake_nvml, fake_gpu):
    """Slurm's --gpus-per-task: each task's CUDA_VISIBLE_DEVICES holds its own GPU only."""
    module = fake_nvml(*(fake_gpu("A100", f"GPU-{i}") for i in range(4)))
    measured = []
    for local_rank in range(4):
        duties = assign_duties(rank(local_rank, local_world_size=4), claims_folder=tmp_path)
        meter = NvmlMeter(
            module,
            cuda_visible_devices=str(local_rank),
            devices=duties.gpus,
            claim=duties.claims.claim,
        )
        meter.start()
        measured.append([c.name for c in meter.components()])
    assert measured == [["gpu:0"], ["gpu:1"], ["gpu:2"], ["gpu:3"]]
