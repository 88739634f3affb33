"""`greenspike doctor` on this machine."""

from __future__ import annotations


def test_doctor_lists_every_meter_and_what_a_run_would_report(cli):
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    assert "Energy meters on this machine" in result.output
    assert "rapl" in result.output and "nvml" in result.output
    assert "A run here reports measured:" in result.output
    assert "estimated:" in result.output


def test_doctor_refuses_a_bad_tdp(cli):
    result = cli("doctor", "--cpu-tdp-w", "-1")
    assert result.exit_code == 2
    assert "CPU TDP must be" in result.stderr
