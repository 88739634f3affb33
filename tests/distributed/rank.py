"""One rank of the distributed test job (run by torchrun, not by pytest).

The node's sensors are fakes that all ranks share, in FOLDER: a powercap tree (FOLDER/powercap)
and NVML GPUs whose energy counters are files (FOLDER/gpus/<index>, millijoules). The CPU time
counters are a file too (FOLDER/cpu_busy_s: busy seconds of CPU 0), for the CPU estimate.

    python -m torch.distributed.run --nproc-per-node 2 rank.py FOLDER

Two phases, each a tracked run per rank, synchronised with the test through files: the rank 0
writes FOLDER/started-<phase> once every rank tracks, then every rank waits for
FOLDER/bumped-<phase> (the test has moved the counters) before it stops.

- "rapl": RAPL counters (the package and DRAM of one node) and 2 GPUs, job id from torchrun.
- "estimated": no RAPL counter (an empty powercap tree): the CPU and memory are estimated.
"""

from __future__ import annotations

import collections
import os
import sys
import time
from pathlib import Path

import psutil
import torch.distributed as dist

FOLDER = Path(sys.argv[1])
CpuTimes = collections.namedtuple("CpuTimes", "user nice system idle")


class FakeNvmlError(Exception):
    def __init__(self, value: int = 3):
        super().__init__(value)
        self.value = value


class FileNvml:
    """The part of pynvml that NvmlMeter uses; energy counters read from files."""

    NVMLError = FakeNvmlError

    def nvmlInit(self):
        pass

    def nvmlShutdown(self):
        pass

    def nvmlDeviceGetCount(self):
        return len(list((FOLDER / "gpus").iterdir()))

    def nvmlDeviceGetHandleByIndex(self, index):
        return index

    def nvmlDeviceGetName(self, index):
        return "Fake A100"

    def nvmlDeviceGetUUID(self, index):
        return f"GPU-fake-{index}"

    def nvmlDeviceGetTotalEnergyConsumption(self, index):
        return int((FOLDER / "gpus" / str(index)).read_text())

    def nvmlDeviceGetPowerUsage(self, index):
        raise FakeNvmlError()


def cpu_times(percpu: bool = False):
    """CPU 0 busy for the seconds in FOLDER/cpu_busy_s, the other CPUs idle."""
    busy = float((FOLDER / "cpu_busy_s").read_text())
    cpus = [CpuTimes(busy if cpu == 0 else 0.0, 0.0, 0.0, 1000.0) for cpu in range(64)]
    return cpus if percpu else CpuTimes(busy, 0.0, 0.0, 64000.0)


def install_fakes(powercap: Path) -> None:
    from greenspike.energy.meters import nvml, rapl

    rapl.POWERCAP_ROOT = powercap  # select_meters reads it when a tracker starts
    nvml.driver_loaded = lambda: True
    sys.modules["pynvml"] = FileNvml()  # type: ignore[assignment]
    psutil.cpu_times = cpu_times


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.02)


def phase(name: str, powercap: Path, **options) -> None:
    import greenspike as gs

    install_fakes(powercap)
    rank = dist.get_rank()
    with gs.track(f"{name} rank {rank}", interval_s=0.05, cpu_tdp_w=20.0, **options):
        dist.barrier()
        if rank == 0:
            (FOLDER / f"started-{name}").write_text("")
        wait_for(FOLDER / f"bumped-{name}")
        time.sleep(0.2)  # a few readings of the sampling thread after the bump
        dist.barrier()
    dist.barrier()


def main() -> None:
    dist.init_process_group("gloo")
    phase("rapl", FOLDER / "powercap")
    estimated_job = os.environ["TORCHELASTIC_RUN_ID"] + "-estimated"
    phase("estimated", FOLDER / "no-powercap", job_id=estimated_job)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
