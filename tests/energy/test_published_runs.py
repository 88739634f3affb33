"""estimate_footprint reproduces published training runs from the inputs their papers state.

Inputs and results are written exactly as printed (as strings, so that their rounding is known).
"Equal within the paper's rounding" is checked as: the estimate at the lower and upper rounding
limits of every input brackets the paper's figure, itself widened by its own rounding.

Sources:
- Patterson, Gonzalez, Le, Liang, Munguia, Rothchild, So, Texier and Dean, "Carbon Emissions
  and Large Neural Network Training", arXiv:2104.10350 (2021), Table 4 (and Appendix A): number
  of chips, training days, measured average system power per chip (W), datacenter PUE, net
  kgCO2e/kWh; energy (MWh) and net tCO2e.
- Luccioni, Viguier and Ligozat, "Estimating the Carbon Footprint of BLOOM, a 176B Parameter
  Language Model", JMLR 24(253), 2023 (arXiv:2211.02001), Table 1 and Section 4: 1,082,990
  A100-80GB GPU-hours at the 400 W TDP, 57 gCO2e/kWh (French grid) -> 433,196 kWh and 24.69 t
  ("dynamic consumption", no PUE); Table 4 lists PUE 1.2 and 30 t "x PUE".
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from greenspike.energy.footprint import estimate_footprint


def _bounds(printed: str, scale: float = 1.0) -> tuple[float, float]:
    """The interval a printed, rounded figure stands for, times `scale`: "14.8" -> 14.75..14.85."""
    value = float(printed.replace(",", ""))
    decimals = len(printed.partition(".")[2])
    half = 0.5 * 10**-decimals
    return (value - half) * scale, (value + half) * scale


@dataclass(frozen=True)
class PublishedRun:
    name: str
    hardware: str
    chips: int
    days: str
    power_w: str
    pue: str
    kg_per_kwh: str
    energy_mwh: str
    co2e_t: str


# Patterson et al. 2021, Table 4, as printed; "gross" and "net" differ only in the kgCO2e/kWh.
PATTERSON_TABLE_4 = [
    # model (ET NAS: Evolved Transformer search), chip, chips, days, W per chip, PUE, kgCO2e/kWh,
    # then the energy (MWh) and CO2e (t) the paper computed from them
    PublishedRun("ET NAS", "TPU v2", 200, "6.8", "208", "1.10", "0.431", "7.5", "3.2"),
    PublishedRun("T5", "TPU v3", 512, "20", "310", "1.12", "0.545", "85.7", "46.7"),
    PublishedRun("Meena", "TPU v3", 1024, "30", "289", "1.09", "0.415", "232", "96.4"),
    PublishedRun("GShard-600B net", "TPU v3", 1024, "3.1", "288", "1.09", "0.177", "24.1", "4.3"),
    PublishedRun("GShard-600B gross", "TPU v3", 1024, "3.1", "288", "1.09", "0.201", "24.1", "4.8"),
    PublishedRun("Switch net", "TPU v3", 1024, "27", "245", "1.10", "0.330", "179", "59.1"),
    PublishedRun("Switch gross", "TPU v3", 1024, "27", "245", "1.10", "0.403", "179", "72.2"),
    PublishedRun("GPT-3", "V100", 10_000, "14.8", "330", "1.10", "0.429", "1,287", "552.1"),
]


def _estimate_at(run: PublishedRun, limit: int):
    """The estimate with every rounded input at its lower (limit=0) or upper (limit=1) bound."""
    return estimate_footprint(
        run.hardware,
        devices=run.chips,
        days=_bounds(run.days)[limit],
        power_w=_bounds(run.power_w)[limit],
        pue=_bounds(run.pue)[limit],
        intensity_g_per_kwh=_bounds(run.kg_per_kwh, 1000)[limit],
    )


@pytest.mark.parametrize("run", PATTERSON_TABLE_4, ids=lambda run: run.name)
def test_patterson_2021_table_4_energy_and_co2e_within_rounding(run):
    low, high = _estimate_at(run, 0), _estimate_at(run, 1)
    paper_kwh = _bounds(run.energy_mwh, 1000)
    paper_kg = _bounds(run.co2e_t, 1000)
    assert low.energy_kwh <= paper_kwh[1] and high.energy_kwh >= paper_kwh[0]
    assert low.co2e_kg <= paper_kg[1] and high.co2e_kg >= paper_kg[0]


def test_gpt3_central_estimate_and_its_arithmetic():
    """Patterson et al. 2021, Table 4, GPT-3: 10,000 V100 x 14.8 days x 330 W x PUE 1.10."""
    gpt3 = estimate_footprint(
        "V100", devices=10_000, days=14.8, power_w=330, pue=1.10, intensity_g_per_kwh=429
    )
    assert gpt3.energy_mwh == pytest.approx(1289.376)  # paper: 1,287 (14.8 days is rounded)
    assert gpt3.co2e_t == pytest.approx(553.142, abs=1e-3)  # paper: 552.1 (= 1,287 x 0.429)
    assert gpt3.method == "average-power: 330 W"
    assert gpt3.formula == (
        "t = 14.8 d x 24 h/d = 355.2 h",
        "E = 355.2 h x 10,000 x 330 W x PUE 1.1 / 1000 = 1,289,376 kWh",
        "CO2e = 1,289,376 kWh x 429 g/kWh / 1000 = 553,142 kg",
    )


def test_bloom_dynamic_consumption_from_the_bundled_a100_tdp():
    """Luccioni et al. 2023, Table 1: 1,082,990 GPU-hours x 400 W = 433,196 kWh; x 57 g = 24.69 t.

    The paper states GPU-hours over 384 GPUs, so each ran 1,082,990 / 384 h on average. Its
    400 W is the A100 SXM4 80GB TDP, which the bundled table supplies at utilisation 1.0.
    """
    bloom = estimate_footprint(
        "A100-SXM4-80GB", devices=384, hours=1_082_990 / 384, pue=1.0, intensity_g_per_kwh=57
    )
    assert bloom.method == "tdp-utilisation: 400 W x 100 %"
    assert bloom.energy_kwh == pytest.approx(433_196, abs=0.5)
    assert bloom.co2e_t == pytest.approx(24.69, abs=0.005)


def test_bloom_with_the_jean_zay_pue():
    """Luccioni et al. 2023, Table 4: BLOOM, PUE 1.2, 57 gCO2e/kWh, "CO2eq emissions x PUE" 30 t."""
    bloom = estimate_footprint(
        "A100-SXM4-80GB", devices=384, hours=1_082_990 / 384, pue=1.2, intensity_g_per_kwh=57
    )
    assert round(bloom.co2e_t) == 30
