"""NVML through a stand-in module: counters, power sampling, CUDA_VISIBLE_DEVICES, no driver."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

from greenspike.energy.meters import nvml as nvml_meter
from greenspike.energy.meters.nvml import NvmlMeter, visible_gpus

UUIDS = ["GPU-aaaa1111", "GPU-bbbb2222", "GPU-bbbb3333"]


@pytest.fixture
def gpus(fake_gpu):
    return [
        fake_gpu("NVIDIA A100-SXM4-80GB", UUIDS[0], energy_mj=5_000_000),
        fake_gpu("NVIDIA A100-SXM4-80GB", UUIDS[1], energy_mj=9_000_000),
        fake_gpu("Tesla P100-PCIE-16GB", UUIDS[2], energy_mj=None, power_mw=250_000),
    ]


def started(module, visible: str | None = None) -> NvmlMeter:
    meter = NvmlMeter(module, cuda_visible_devices=visible)
    meter.start()
    return meter


def test_energy_counters_are_read_and_differenced(fake_nvml, gpus):
    meter = started(fake_nvml(*gpus[:2]))
    gpus[0].energy_mj += 1_500
    gpus[1].energy_mj += 250_000
    assert meter.read() == {"gpu:0": 1.5, "gpu:1": 250.0}
    gpus[0].energy_mj += 500
    assert meter.read()["gpu:0"] == 2.0
    [first, _] = meter.components()
    assert (first.name, first.source, first.label) == (
        "gpu:0",
        "nvml:0 (NVIDIA A100-SXM4-80GB)",
        "measured",
    )


def test_without_an_energy_counter_power_is_sampled_and_labelled(fake_nvml, gpus):
    before = time.monotonic()
    meter = started(fake_nvml(gpus[2]))
    after_start = time.monotonic()
    time.sleep(0.05)
    before_read = time.monotonic()
    energy_j = meter.read()["gpu:0"]
    after = time.monotonic()
    # 250 W constant: E = 250 W x (time between the two readings)
    assert 250 * (before_read - after_start) <= energy_j <= 250 * (after - before)
    [gpu] = meter.components()
    assert gpu.label == "measured (power sampling)"


def test_the_trapezoid_follows_a_changing_power(fake_nvml, fake_gpu):
    gpu = fake_gpu("Tesla K80", UUIDS[0], energy_mj=None, power_mw=100_000)
    before = time.monotonic()
    meter = started(fake_nvml(gpu))
    after_start = time.monotonic()
    gpu.power_mw = 300_000
    time.sleep(0.05)
    before_read = time.monotonic()
    energy_j = meter.read()["gpu:0"]
    after = time.monotonic()
    # (100 W + 300 W) / 2 x (time between the two readings), however long the machine stalls
    assert 200 * (before_read - after_start) <= energy_j <= 200 * (after - before)


def test_a_gpu_with_neither_energy_nor_power_is_missing(fake_nvml, fake_gpu):
    gpu = fake_gpu("Mystery GPU", UUIDS[0], energy_mj=None, power_mw=None)
    meter = started(fake_nvml(gpu))
    assert meter.components() == ()
    [missing] = meter.missing()
    assert missing.name == "gpu:0"
    assert "neither the energy (Not Supported) nor the power" in missing.reason


@pytest.mark.parametrize(
    ("spec", "indices"),
    [
        (None, [0, 1, 2]),
        ("2,0", [2, 0]),
        ("1, 1", [1]),
        ("0,7,1", [0]),  # CUDA stops at the first entry naming no GPU
        ("-1", []),
        ("", []),
        ("GPU-aaaa1111", [0]),
        ("aaaa", [0]),  # a unique prefix, with or without GPU-
        ("GPU-bbbb3,0", [2, 0]),
        ("GPU-bbbb,0", []),  # ambiguous prefix: nothing from there on
    ],
)
def test_visible_gpus_read_cuda_visible_devices_like_cuda(spec, indices):
    assert visible_gpus(spec, 3, lambda: UUIDS)[0] == indices


def test_mig_instances_are_missing_with_the_reason():
    indices, missing = visible_gpus("MIG-1234-5678", 3, lambda: UUIDS)
    assert indices == []
    assert missing[0].name == "gpu:MIG-1234-5678" and "whole physical GPU" in missing[0].reason


def test_the_meter_follows_the_environment(fake_nvml, gpus, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-bbbb2")
    meter = started(fake_nvml(*gpus))
    assert [c.name for c in meter.components()] == ["gpu:1"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    meter = started(fake_nvml(*gpus))
    assert meter.components() == ()
    assert meter.unavailable() == "CUDA_VISIBLE_DEVICES='' hides every GPU"


def test_a_lost_gpu_keeps_its_energy_and_is_counted_again_on_return(fake_nvml, gpus):
    meter = started(fake_nvml(gpus[0]))
    gpus[0].energy_mj += 4_000
    meter.read()
    gpus[0].lost = True
    gpus[0].energy_mj += 1_000_000
    assert meter.read() == {"gpu:0": 4.0}
    assert "unreadable since" in meter.components()[0].notes[0]
    gpus[0].lost = False
    assert meter.read() == {"gpu:0": 4.0}
    gpus[0].energy_mj += 1_000
    assert meter.read() == {"gpu:0": 5.0}
    assert "GPU is lost" in meter.components()[0].notes[0]


def test_a_counter_going_back_is_not_negative_energy(fake_nvml, gpus):
    meter = started(fake_nvml(gpus[0]))
    gpus[0].energy_mj += 2_000
    meter.read()
    gpus[0].energy_mj = 10  # driver reloaded
    assert meter.read() == {"gpu:0": 2.0}
    gpus[0].energy_mj += 1_000
    assert meter.read() == {"gpu:0": 3.0}
    assert "went back" in meter.components()[0].notes[0]


def test_close_shuts_nvml_down_once(fake_nvml, gpus):
    module = fake_nvml(*gpus)
    meter = started(module)
    meter.close()
    meter.close()
    assert module.shutdowns == 1


@pytest.fixture
def driver(tmp_path, monkeypatch):
    """Pretend an NVIDIA driver is loaded (True) or not (False)."""

    def loaded(present: bool) -> None:
        marker = tmp_path / "version"
        if present:
            marker.write_text("NVRM version: 550.54\n")
        monkeypatch.setattr(nvml_meter, "NVIDIA_DRIVER_MARKERS", (marker,))

    return loaded


def test_no_driver_no_component_and_the_reason(fake_nvml, driver):
    driver(False)
    meter = started(fake_nvml(init_error=12))
    assert meter.components() == () and meter.missing() == ()
    assert meter.unavailable() == (
        "NVML could not start: NVML Shared Library Not Found, and no NVIDIA driver is loaded"
    )


def test_a_driver_that_nvml_cannot_use_is_a_missing_gpu(fake_nvml, driver):
    driver(True)
    [missing] = started(fake_nvml(init_error=12)).missing()
    assert missing.name == "gpu" and "yet an NVIDIA driver is loaded" in missing.reason


def test_missing_nvidia_ml_py_with_a_driver_says_how_to_install(driver, monkeypatch):
    driver(True)
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml raises ImportError
    [missing] = started(None).missing()
    assert "nvidia-ml-py is not installed" in missing.reason
    assert missing.fix == "pip install 'greenspike[gpu]' (installs nvidia-ml-py)"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="driver markers are Linux's")
def test_without_a_driver_pynvml_is_not_even_imported(driver, monkeypatch):
    driver(False)
    monkeypatch.setitem(sys.modules, "pynvml", None)
    meter = started(None)
    assert meter.unavailable().startswith("no NVIDIA driver is loaded")


try:
    import pynvml
except ImportError:  # nvidia-ml-py is in the dev extra
    pynvml = None
needs_pynvml = pytest.mark.skipif(pynvml is None, reason="nvidia-ml-py is not installed")


@needs_pynvml
def test_the_stand_in_matches_the_real_nvidia_ml_py():
    source = Path(nvml_meter.__file__).read_text()
    used = set(re.findall(r"nvml\.(nvml\w+|NVMLError)", source))
    assert used, "the meter calls no NVML function?"
    assert sorted(name for name in used if not hasattr(pynvml, name)) == []


@needs_pynvml
@pytest.mark.skipif(nvml_meter.driver_loaded(), reason="this machine has an NVIDIA driver")
def test_the_real_nvml_without_a_driver_reports_why():
    meter = NvmlMeter(pynvml)
    meter.start()
    assert meter.components() == ()
    assert meter.unavailable().startswith("NVML could not start: ")
