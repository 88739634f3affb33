"""NVIDIA GPU energy through NVML, from the nvidia-ml-py package (module `pynvml`).

Each visible GPU's total-energy counter (`nvmlDeviceGetTotalEnergyConsumption`, millijoules
since the driver loaded; Volta and newer) is read and differenced. Where the GPU has no such
counter, its power draw (`nvmlDeviceGetPowerUsage`, milliwatts) is sampled at every read and
integrated with the trapezoid rule,

    E += (P_last + P_now) / 2 * (t_now - t_last)

and labelled "measured (power sampling)": its accuracy depends on the sampling interval.

Visible GPUs follow CUDA_VISIBLE_DEVICES as CUDA reads it: comma-separated indices or UUIDs
(a unique prefix such as GPU-8f3a is enough), the list ending at the first entry that names no
GPU; unset means every GPU, empty means none. Indices are NVML's (PCI bus order), which is
CUDA's order with CUDA_DEVICE_ORDER=PCI_BUS_ID or when the GPUs are all the same model.
MIG instances are reported missing: NVML measures the whole physical GPU, not an instance.

In a distributed job a rank measures only the GPUs it uses (`devices`, CUDA device numbers among
the visible GPUs), each claimed by its UUID (`claim`), so that a GPU shared by two ranks of the
job is measured by one of them (see greenspike.energy.duties).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from greenspike.energy.measurement import Component, MissingComponent
from greenspike.energy.meters.base import Meter, SensorGaps

# On Linux, one of these exists when an NVIDIA driver is loaded (the second under WSL 2).
NVIDIA_DRIVER_MARKERS = (
    Path("/proc/driver/nvidia/version"),
    Path("/usr/lib/wsl/lib/libnvidia-ml.so.1"),
)
INSTALL_FIX = "pip install 'greenspike[gpu]' (installs nvidia-ml-py)"


def driver_loaded() -> bool:
    """Whether the NVIDIA driver shows itself (Linux; elsewhere this says False)."""
    return any(marker.exists() for marker in NVIDIA_DRIVER_MARKERS)


def visible_gpus(
    cuda_visible_devices: str | None, count: int, uuids: Callable[[], list[str]]
) -> tuple[list[int], list[MissingComponent]]:
    """NVML indices of the GPUs CUDA would use, and the MIG instances that cannot be measured.

    `uuids()` gives every GPU's UUID in index order; it is called only for UUID entries.
    """
    if cuda_visible_devices is None:
        return list(range(count)), []
    indices: list[int] = []
    mig: list[MissingComponent] = []
    for entry in (part.strip() for part in cuda_visible_devices.split(",")):
        if entry.startswith("MIG-"):
            mig.append(
                MissingComponent(
                    f"gpu:{entry}",
                    "a MIG instance: NVML reports the energy of the whole physical GPU, "
                    "shared with the other instances, not of one instance",
                )
            )
            continue
        if entry.lstrip("-").isdigit():
            index = int(entry)
        else:
            wanted = entry.removeprefix("GPU-")
            found = [
                i for i, uuid in enumerate(uuids()) if uuid.removeprefix("GPU-").startswith(wanted)
            ]
            index = found[0] if wanted and len(found) == 1 else -1
        if not 0 <= index < count:
            break
        if index not in indices:
            indices.append(index)
    return indices, mig


@dataclass
class _Gpu:
    index: int
    model: str
    handle: Any
    method: str  # "energy counter" or "power sampling"
    last: float  # last reading: mJ for a counter, W for power sampling
    last_time_s: float
    energy_j: float = 0.0
    gaps: SensorGaps = field(default_factory=SensorGaps)


class NvmlMeter(Meter):
    """Energy of the NVIDIA GPUs visible to this process.

    Args:
        nvml: the pynvml module (a stand-in in tests); default: imported at `start()`.
        cuda_visible_devices: which GPUs are visible, as CUDA_VISIBLE_DEVICES says it; default:
            the environment variable, read at `start()`.
        devices: the CUDA device numbers (positions among the visible GPUs, taken modulo their
            number) to measure; None: every visible GPU.
        claim: called with "gpu-<UUID>" before a GPU is measured; False leaves it to another
            process of the job (listed in `elsewhere`).
    """

    name = "nvml"

    def __init__(
        self,
        nvml: ModuleType | None = None,
        cuda_visible_devices: str | None = None,
        *,
        devices: Sequence[int] | None = None,
        claim: Callable[[str], bool] | None = None,
    ):
        self._nvml: Any = nvml  # pynvml, which has no type information
        self._cuda_visible_devices = cuda_visible_devices
        self.devices = None if devices is None else tuple(devices)
        self.claim = claim
        #: Components measured by another process of the job instead ("gpu:1", ...).
        self.elsewhere: list[str] = []
        self._gpus: list[_Gpu] = []
        self._missing: list[MissingComponent] = []
        self._unavailable: str | None = None
        self._initialised = False
        self._start = time.monotonic()

    def start(self) -> None:
        """Start NVML, find the visible GPUs and take each one's first energy or power reading."""
        self.close()
        self._gpus, self._missing, self._unavailable, self.elsewhere = [], [], None, []
        self._start = time.monotonic()
        nvml = self._nvml
        if nvml is None:
            if sys.platform.startswith("linux") and not driver_loaded():
                self._unavailable = f"no NVIDIA driver is loaded (no {NVIDIA_DRIVER_MARKERS[0]})"
                return  # NVML cannot work: spare the import of pynvml
            try:
                import pynvml
            except ImportError:
                self._no_gpu("nvidia-ml-py is not installed", INSTALL_FIX)
                return
            nvml = pynvml
        try:
            nvml.nvmlInit()
        except nvml.NVMLError as error:
            self._no_gpu(f"NVML could not start: {error}", "check the NVIDIA driver: nvidia-smi")
            return
        self._nvml, self._initialised = nvml, True
        spec = self._cuda_visible_devices
        if spec is None:
            spec = os.environ.get("CUDA_VISIBLE_DEVICES")
        try:
            count = nvml.nvmlDeviceGetCount()
            indices, self._missing = visible_gpus(spec, count, self._uuids)
        except nvml.NVMLError as error:
            self._missing = [MissingComponent("gpu", f"NVML cannot list the GPUs: {error}")]
            return
        if self.devices is not None and indices:
            indices = list(dict.fromkeys(indices[d % len(indices)] for d in self.devices))
        for index in indices:
            if self._claimed(index):
                self._open(index)
            else:
                self.elsewhere.append(f"gpu:{index}")
        if not indices and not self._missing:
            self._unavailable = (
                f"CUDA_VISIBLE_DEVICES={spec!r} hides every GPU"
                if count
                else "NVML finds no NVIDIA GPU"
            )

    def read(self) -> dict[str, float]:
        """Joules of each visible GPU (`"gpu:<index>"`) since `start()`."""
        nvml = self._nvml
        for gpu in self._gpus:
            now_s = time.monotonic()
            try:
                reading = self._reading(gpu)
            except nvml.NVMLError as error:
                gpu.gaps.lost(now_s - self._start, error)
                continue
            resumed = gpu.gaps.back(now_s - self._start)  # then the reading is a new baseline
            added_j = 0.0 if resumed else self._since_last_j(gpu, reading, now_s)
            # one statement: a KeyboardInterrupt cannot fall between them (no double count)
            gpu.energy_j, gpu.last, gpu.last_time_s = gpu.energy_j + added_j, reading, now_s
        return {f"gpu:{gpu.index}": gpu.energy_j for gpu in self._gpus}

    def components(self) -> tuple[Component, ...]:
        """One measured component per GPU read, by energy counter or power sampling."""
        return tuple(
            Component(
                f"gpu:{gpu.index}",
                "measured",
                gpu.method,
                f"nvml:{gpu.index} ({gpu.model})",
                gpu.gaps.notes(),
            )
            for gpu in self._gpus
        )

    def missing(self) -> tuple[MissingComponent, ...]:
        """GPUs NVML cannot read, and MIG instances, each with the reason."""
        return tuple(self._missing)

    def unavailable(self) -> str | None:
        """Why no GPU can be measured here (no driver, every GPU hidden, ...), or None."""
        return self._unavailable

    def close(self) -> None:
        """Shut NVML down if `start()` started it."""
        if self._initialised:
            self._initialised = False
            with contextlib.suppress(self._nvml.NVMLError):  # the driver went away
                self._nvml.nvmlShutdown()

    def _no_gpu(self, reason: str, fix: str) -> None:
        """No GPU can be read: a missing component if the driver shows one, else unavailable."""
        if driver_loaded():
            reason = f"{reason}, yet an NVIDIA driver is loaded"
            self._missing = [MissingComponent("gpu", reason, fix)]
        else:
            self._unavailable = f"{reason}, and no NVIDIA driver is loaded"

    def _claimed(self, index: int) -> bool:
        """Whether this process measures GPU `index` (always, without `claim`)."""
        if self.claim is None:
            return True
        nvml = self._nvml
        try:
            uuid = _text(nvml.nvmlDeviceGetUUID(nvml.nvmlDeviceGetHandleByIndex(index)))
        except nvml.NVMLError:
            uuid = f"index-{index}"
        return self.claim(f"gpu-{uuid}")

    def _uuids(self) -> list[str]:
        nvml = self._nvml
        return [
            _text(nvml.nvmlDeviceGetUUID(nvml.nvmlDeviceGetHandleByIndex(i)))
            for i in range(nvml.nvmlDeviceGetCount())
        ]

    def _open(self, index: int) -> None:
        nvml = self._nvml
        try:
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            model = _text(nvml.nvmlDeviceGetName(handle))
        except nvml.NVMLError as error:
            self._missing.append(MissingComponent(f"gpu:{index}", f"NVML cannot open it: {error}"))
            return
        now_s = time.monotonic()
        try:
            mj = nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
            self._gpus.append(_Gpu(index, model, handle, "energy counter", mj, now_s))
            return
        except nvml.NVMLError as counter_error:
            no_counter = counter_error
        try:
            mw = nvml.nvmlDeviceGetPowerUsage(handle)
        except nvml.NVMLError as power_error:
            self._missing.append(
                MissingComponent(
                    f"gpu:{index}",
                    f"NVML reads neither the energy ({no_counter}) nor the power ({power_error}) "
                    f"of {model}",
                )
            )
            return
        self._gpus.append(_Gpu(index, model, handle, "power sampling", mw / 1000, now_s))

    def _since_last_j(self, gpu: _Gpu, reading: float, now_s: float) -> float:
        """Joules since the last reading: counter difference, or trapezoid of two powers."""
        if gpu.method == "power sampling":
            return (gpu.last + reading) / 2 * (now_s - gpu.last_time_s)
        if reading >= gpu.last:
            return (reading - gpu.last) / 1000
        gpu.gaps.past.append(
            f"the energy counter went back at {now_s - self._start:.1f} s (driver reloaded?); "
            "energy since the reading before not counted"
        )
        return 0.0

    def _reading(self, gpu: _Gpu) -> float:
        """Millijoules of the energy counter, or watts of the power draw."""
        if gpu.method == "energy counter":
            return self._nvml.nvmlDeviceGetTotalEnergyConsumption(gpu.handle)
        return self._nvml.nvmlDeviceGetPowerUsage(gpu.handle) / 1000


def _text(value: str | bytes) -> str:
    """`value` as str: pynvml returns bytes or str depending on its version and the call."""
    return value.decode() if isinstance(value, bytes) else value
