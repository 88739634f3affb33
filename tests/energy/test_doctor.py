"""diagnose(): what `greenspike doctor` prints, on fake hardware."""

from __future__ import annotations

from greenspike.energy.doctor import RAPL_ADVICE, diagnose


def test_readable_counters_are_measured_with_their_power_now(powercap, fake_nvml, fake_gpu):
    powercap.server(packages=1)
    gpu = fake_gpu("NVIDIA A100-SXM4-80GB", "GPU-1", energy_mj=0)
    diagnosis = diagnose(probe_s=0.01, rapl_root=powercap.root, nvml=fake_nvml(gpu))
    assert [(c.name, c.provenance) for c in diagnosis.components] == [
        ("cpu:package-0", "measured"),
        ("dram:0", "measured"),
        ("gpu:0", "measured"),
    ]
    assert set(diagnosis.power_w) == {"cpu:package-0", "dram:0", "gpu:0"}
    assert diagnosis.missing == () and diagnosis.unavailable == () and diagnosis.advice == ()


def test_denied_counters_are_missing_and_the_advice_points_at_the_fix(powercap, fake_nvml):
    powercap.server(packages=1)
    powercap.deny("intel-rapl:0")
    powercap.deny("intel-rapl:0:2")
    diagnosis = diagnose(
        probe_s=0.01, rapl_root=powercap.root, nvml=fake_nvml(init_error=12), cpu_tdp_w=65
    )
    assert [m.name for m in diagnosis.missing] == ["cpu:package-0", "dram:0"]
    assert [c.name for c in diagnosis.components] == ["cpu", "ram"]
    assert diagnosis.advice == ("make the missing components readable: see the fix beside each",)
    assert dict(diagnosis.unavailable)["nvml"].startswith("NVML could not start")


def test_without_rapl_the_advice_says_what_real_measurement_needs(tmp_path, fake_nvml, fake_gpu):
    gpu = fake_gpu("Tesla K80", "GPU-1", energy_mj=None)
    diagnosis = diagnose(probe_s=0.01, rapl_root=tmp_path / "none", nvml=fake_nvml(gpu))
    assert RAPL_ADVICE in diagnosis.advice
    assert any("gpu:0 has no energy counter" in a for a in diagnosis.advice)
