"""Stand-ins for the hardware this machine lacks: a powercap tree, an NVML module, a meter."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from greenspike.energy.measurement import Component
from greenspike.energy.meters import rapl
from greenspike.energy.meters.base import Meter


class FakePowercap:
    """A real directory laid out like /sys/class/powercap: one directory per zone and sub-zone
    (`intel-rapl:0`, `intel-rapl:0:0`, ...), each with `name`, `energy_uj`, `max_energy_range_uj`.
    """

    def __init__(self, root: Path):
        self.root = root
        self.denied: set[Path] = set()
        root.mkdir(parents=True, exist_ok=True)
        (root / "intel-rapl").mkdir(exist_ok=True)  # the control type: no zone, ignored

    def zone(self, entry: str, name: str, energy_uj: int = 0, max_range_uj: int = 2**32) -> Path:
        path = self.root / entry
        path.mkdir()
        (path / "name").write_text(f"{name}\n")
        (path / "max_energy_range_uj").write_text(f"{max_range_uj}\n")
        self.set(entry, energy_uj)
        return path

    def set(self, entry: str, energy_uj: int) -> None:
        (self.root / entry / "energy_uj").write_text(f"{energy_uj}\n")

    def add(self, entry: str, joules: float) -> None:
        """Let the zone count `joules` more, wrapping at its max_energy_range_uj."""
        zone = self.root / entry
        max_range = int((zone / "max_energy_range_uj").read_text())
        now = int((zone / "energy_uj").read_text())
        self.set(entry, (now + round(joules * 1e6)) % max_range)

    def deny(self, entry: str) -> None:
        """Make the zone's energy_uj unreadable, as Linux does for non-root users."""
        self.denied.add(self.root / entry / "energy_uj")

    def remove(self, entry: str) -> None:
        shutil.rmtree(self.root / entry)

    def server(self, packages: int = 2) -> FakePowercap:
        """A server's tree: packages with core, uncore and DRAM sub-zones, plus a psys zone and an
        MMIO zone repeating package-0."""
        for p in range(packages):
            self.zone(f"intel-rapl:{p}", f"package-{p}")
            self.zone(f"intel-rapl:{p}:0", "core")
            self.zone(f"intel-rapl:{p}:1", "uncore")
            self.zone(f"intel-rapl:{p}:2", "dram")
        self.zone(f"intel-rapl:{packages}", "psys")
        self.zone("intel-rapl-mmio:0", "package-0")
        return self


@pytest.fixture
def powercap_class():
    return FakePowercap


@pytest.fixture
def powercap(tmp_path, monkeypatch) -> FakePowercap:
    fake = FakePowercap(tmp_path / "powercap")
    read = rapl._read_uj

    def read_unless_denied(path: Path) -> int:
        if path in fake.denied:  # the tests run as root, whom chmod would not stop
            raise PermissionError(13, "Permission denied", str(path))
        return read(path)

    monkeypatch.setattr(rapl, "_read_uj", read_unless_denied)
    return fake


class FakeNvmlError(Exception):
    """Like pynvml.NVMLError: carries NVML's return code in `value`."""

    _TEXT: ClassVar[dict[int, str]] = {
        3: "Not Supported",
        12: "NVML Shared Library Not Found",
        15: "GPU is lost",
    }

    def __init__(self, value: int):
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return self._TEXT.get(self.value, f"NVML error {self.value}")


@dataclass
class FakeGpu:
    name: str
    uuid: str
    energy_mj: int | None = 0  # None: no energy counter (pre-Volta)
    power_mw: int | None = 100_000  # None: no power reading either
    lost: bool = False


class FakeNvml:
    """The part of pynvml that NvmlMeter uses, over a list of FakeGpu."""

    NVMLError = FakeNvmlError

    def __init__(self, *gpus: FakeGpu, init_error: int | None = None):
        self.gpus = list(gpus)
        self.init_error = init_error
        self.shutdowns = 0

    def nvmlInit(self):
        if self.init_error is not None:
            raise FakeNvmlError(self.init_error)

    def nvmlShutdown(self):
        self.shutdowns += 1

    def nvmlDeviceGetCount(self):
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index):
        return self.gpus[index]

    def nvmlDeviceGetName(self, gpu):
        return gpu.name

    def nvmlDeviceGetUUID(self, gpu):
        return gpu.uuid.encode()  # nvidia-ml-py 13 returns bytes here

    def nvmlDeviceGetTotalEnergyConsumption(self, gpu):
        if gpu.lost:
            raise FakeNvmlError(15)
        if gpu.energy_mj is None:
            raise FakeNvmlError(3)
        return gpu.energy_mj

    def nvmlDeviceGetPowerUsage(self, gpu):
        if gpu.lost:
            raise FakeNvmlError(15)
        if gpu.power_mw is None:
            raise FakeNvmlError(3)
        return gpu.power_mw


@pytest.fixture
def fake_nvml():
    return FakeNvml


@pytest.fixture
def fake_gpu():
    return FakeGpu


class FakeMeter(Meter):
    """A meter whose cumulative joules the test sets: `meter.energy_j["cpu"] += 5`."""

    name = "fake"

    def __init__(self, *components: Component, max_poll_interval_s: float | None = None):
        self._components = components
        self.energy_j = {c.name: 0.0 for c in components}
        self.max_poll_interval_s = max_poll_interval_s
        self.fail = False
        self.closed = False

    def start(self) -> None:
        self.energy_j = dict.fromkeys(self.energy_j, 0.0)
        self.closed = False

    def read(self) -> dict[str, float]:
        if self.fail:
            raise RuntimeError("sensor on fire")
        return dict(self.energy_j)

    def components(self) -> tuple[Component, ...]:
        return self._components

    def close(self) -> None:
        self.closed = True


MEASURED_CPU = Component("cpu:package-0", "measured", "energy counter", "rapl:package-0")
ESTIMATED_RAM = Component("ram", "estimated", "memory model", "memory-model: 0.3725 W/GB x 1 GB")


@pytest.fixture
def fake_meter():
    """A FakeMeter with a measured CPU package and an estimated RAM component."""
    return FakeMeter(MEASURED_CPU, ESTIMATED_RAM)


@pytest.fixture
def fake_meter_class():
    return FakeMeter
