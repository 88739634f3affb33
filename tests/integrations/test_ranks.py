"""The callbacks in a real 2-process job (torchrun, gloo on CPU): one job, a run per rank, the
node's CPU and memory measured by one rank only, the forecast printed once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from greenspike.ledger import Ledger

SCRIPT = Path(__file__).with_name("ddp_script.py")
NODE = ("cpu", "ram")


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["lightning", "huggingface"])
def test_each_rank_is_a_run_of_one_job_and_the_node_is_counted_once(
    framework, tmp_path, ledger_url
):
    pytest.importorskip(framework if framework == "lightning" else "transformers")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node",
            "2",
            str(SCRIPT),
            framework,
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [job] = Ledger(ledger_url).jobs()
    assert (job.world_size, job.ranks, job.missing_ranks, job.status) == (2, (0, 1), (), "finished")
    for run in job.runs:
        assert run.tags["framework"] == framework
        assert [w.name for w in run.report.windows] == ["epoch-0", "epoch-1"]
    node_runs = [r.rank for r in job.runs if any(c.name in NODE for c in r.components)]
    assert node_runs == [0]  # local rank 0 measures the node; rank 1 only what is its own
    [node] = job.nodes
    assert {c.name for c in node.components} == {"cpu", "ram"}
    assert job.energy_j == sum(run.energy_j for run in job.runs) > 0
    assert done.stderr.count("greenspike: forecast for 2 epochs after 2") == 1  # rank 0 only
