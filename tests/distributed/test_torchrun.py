"""A real `torchrun --nproc-per-node 2` job (gloo, CPU) on one node with fake sensors: the job
counts the node's package and DRAM once and each of its 2 GPUs once, exactly, in the ledger and
in `greenspike runs show --job`; with estimated CPU energy, the node's estimate once, not twice."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from greenspike._units import energy
from greenspike.energy.meters.estimated import usable_cpus
from greenspike.ledger import Ledger

RANK_SCRIPT = Path(__file__).with_name("rank.py")
PACKAGE_J, DRAM_J, GPU_MJ = 1234.5, 100.0, (300_200, 450_100)
BUSY_S, TDP_W = 12.5, 20.0


def write_atomically(path: Path, text: str) -> None:
    """Readers never see a half-written counter (a real one changes atomically)."""
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    os.replace(partial, path)


def fake_node(folder: Path) -> None:
    for entry, name in (
        ("intel-rapl:0", "package-0"),
        ("intel-rapl:0:0", "core"),
        ("intel-rapl:0:1", "dram"),
        ("intel-rapl:1", "psys"),
    ):
        zone = folder / "powercap" / entry
        zone.mkdir(parents=True)
        (zone / "name").write_text(name + "\n")
        (zone / "max_energy_range_uj").write_text(f"{2**40}\n")
        (zone / "energy_uj").write_text("5000000\n")
    (folder / "no-powercap").mkdir()
    (folder / "gpus").mkdir()
    for index in range(2):
        (folder / "gpus" / str(index)).write_text("7000000")
    (folder / "cpu_busy_s").write_text("100.0")


def add_uj(zone: Path, joules: float) -> None:
    now = int((zone / "energy_uj").read_text())
    write_atomically(zone / "energy_uj", f"{now + round(joules * 1e6)}\n")


def wait_for(path: Path, job: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180
    while not path.exists():
        if job.poll() is not None:
            pytest.fail(f"torchrun ended early ({job.returncode}): {job.communicate()[1][-3000:]}")
        if time.monotonic() > deadline:
            job.kill()
            pytest.fail(f"{path.name} never appeared: {job.communicate()[1][-3000:]}")
        time.sleep(0.05)


@pytest.mark.slow
def test_a_torchrun_job_counts_each_node_sensor_and_gpu_once(
    tmp_path, ledger_url, cli, monkeypatch
):
    fake_node(tmp_path)
    job = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node",
            "2",
            str(RANK_SCRIPT),
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    try:
        wait_for(tmp_path / "started-rapl", job)
        add_uj(tmp_path / "powercap" / "intel-rapl:0", PACKAGE_J)
        add_uj(tmp_path / "powercap" / "intel-rapl:0:0", PACKAGE_J / 2)  # core: inside package
        add_uj(tmp_path / "powercap" / "intel-rapl:0:1", DRAM_J)
        add_uj(tmp_path / "powercap" / "intel-rapl:1", 5000.0)  # psys: contains the package
        for index, millijoules in enumerate(GPU_MJ):
            path = tmp_path / "gpus" / str(index)
            write_atomically(path, str(int(path.read_text()) + millijoules))
        (tmp_path / "bumped-rapl").write_text("")
        wait_for(tmp_path / "started-estimated", job)
        write_atomically(tmp_path / "cpu_busy_s", str(100.0 + BUSY_S))
        (tmp_path / "bumped-estimated").write_text("")
        _, errors = job.communicate(timeout=180)
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode == 0, errors[-3000:]

    ledger = Ledger(ledger_url)
    jobs = {j.job_id: j for j in ledger.jobs()}
    [rapl_id] = [i for i in jobs if not i.endswith("-estimated")]
    measured = jobs[rapl_id]
    expected = math.fsum([PACKAGE_J, DRAM_J, *(mj / 1000 for mj in GPU_MJ)])
    assert measured.energy_j == expected  # exact: each sensor once
    assert (measured.world_size, measured.missing_ranks, measured.status) == (2, (), "finished")
    [node] = measured.nodes
    by_name = {c.name: c for c in node.components}
    assert {n: c.energy_j for n, c in by_name.items()} == {
        "cpu:package-0": PACKAGE_J,
        "dram:0": DRAM_J,
        "gpu:0": GPU_MJ[0] / 1000,
        "gpu:1": GPU_MJ[1] / 1000,
    }
    rank_of = {run.id: run.rank for run in measured.runs}
    assert {n: [rank_of[i] for i in c.run_ids] for n, c in by_name.items()} == {
        "cpu:package-0": [0],
        "dram:0": [0],
        "gpu:0": [0],  # each rank its LOCAL_RANK GPU
        "gpu:1": [1],
    }
    # the sum of the ranks' own runs is the job's total too: nobody counted anything twice
    assert math.fsum(run.energy_j for run in measured.runs) == expected

    monkeypatch.setenv("COLUMNS", "200")
    shown = cli("runs", "show", "--job", rapl_id)
    assert shown.exit_code == 0, shown.output
    assert energy(expected) in shown.stdout and "node total" in shown.stdout
    as_json = json.loads(cli("runs", "show", "--job", rapl_id, "--json").stdout)
    assert as_json["energy_j"] == expected
    assert "missing" not in shown.stdout
    listed = cli("runs", "list", "--jobs")
    assert rapl_id[:8] in listed.stdout and "2/2" in listed.stdout

    estimated = jobs[f"{rapl_id}-estimated"]
    cpu = [c for c in estimated.components if c.name == "cpu"]
    one_node_j = TDP_W / len(usable_cpus()) * BUSY_S  # TDP per logical CPU x busy seconds
    assert len(cpu) == 1 and cpu[0].energy_j == pytest.approx(one_node_j, rel=1e-12)
    cpu_runs = [run.rank for run in estimated.runs if any(c.name == "cpu" for c in run.components)]
    assert cpu_runs == [0]
    assert len([c for c in estimated.components if c.name == "ram"]) == 1
