"""Regenerate the figures README.md quotes from what the code does today, and check them.

    python scripts/readme_numbers.py             # measure; print every figure, README vs now
    python scripts/readme_numbers.py --check     # exit 1 when a deterministic figure drifted
    python scripts/readme_numbers.py --write     # put today's figures into README.md
    python scripts/readme_numbers.py --all ...   # also the table of compare options (5 runs)

Each figure is a named field in a pattern of README text (`PATTERNS`): the text around it must
appear in the README exactly once, so that a figure can be found, compared and replaced. Fields
come from three sources, each measured once: `examples/spiking_mlp_digits.py` run as a user
runs it, `gs.estimate_footprint` on the README's examples, and `greenspike compare` with its
defaults (the side-by-side table is regenerated whole). Accuracies, counts and estimates are
deterministic on a given machine and torch (seeded, CPU, one thread) and are checked by
tests/test_readme_numbers.py; times and measured energies are not (`DRIFTING`), so they are
reported and written, never checked.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLE = ROOT / "examples" / "spiking_mlp_digits.py"
# Fields that are measured on a shared machine: written, never checked.
DRIFTING = {"example_train_s", "example_total_s"}
# The README's console block of `greenspike compare` starts with this line.
COMPARE_BLOCK = (
    "$ greenspike compare            # --dataset digits --model mlp --hidden 128 --epochs 20 "
    "--steps 8"
)
# Rows of that block whose cells are deterministic (labels starting so).
COMPARE_ROWS = (
    "role",
    "hidden",
    "time steps",
    "encoding",
    "beta / threshold",
    "rate penalty",
    "learning rate",
    "test accuracy",
    "parameters",
    "per inference: ops",
    "dense ops",
    "neuron updates",
    "membrane updates",
    "memory moved (32-bit)",
    "hidden spike rate",
    "energy on cmos45-fp32",
    "energy on cmos45-int8",
    "energy on loihi",
    "compute / memory / neurons",
    "spiking / ReLU",
    "break-even spike rate",
    "break-even time steps",
)
# `greenspike compare` options of the README's table, run with --all: row label -> change.
VARIANTS = {
    "`--steps 4`": {"steps": 4},
    "`--steps 2`": {"steps": 2},
    "`--steps 1`": {"steps": 1},
    "`--encoding rate`": {"encoding": "rate"},
    "`--encoding latency`": {"encoding": "latency"},
}


def variant_key(label: str) -> str:
    """ "`--steps 4`" -> "steps_4": the prefix of a variant's fields."""
    return re.sub(r"\W+", "_", label).strip("_")


@dataclass(frozen=True)
class Pattern:
    """README text with `{field}` slots; `source` says which measurement fills them."""

    source: str
    text: str

    def regex(self) -> re.Pattern[str]:
        parts = re.split(r"\{(\w+)\}", self.text)
        out = ""
        for index, part in enumerate(parts):
            if index % 2:
                out += f"(?P<{part}>.+?)" if part not in out else f"(?P={part})"
            else:
                out += re.escape(part)
        return re.compile(out)

    @property
    def fields(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.text)


def _variant(label: str) -> Pattern:
    key = variant_key(label)
    cells = ("accuracy", "rate", "fp32", "int8", "loihi", "loihi_host", "break_even")
    return Pattern(
        "variants", f"\n| {label} | " + " | ".join(f"{{{key}_{c}}}" for c in cells) + " |\n"
    )


def _priced_row(profile: str, key: str) -> Pattern:
    """A row of the README's table of both twins on one profile, each with its accuracy."""
    return Pattern(
        "compare",
        f"\n| {profile} | {{{key}_relu}} ({{{key}_relu_acc}}) | {{{key}_snn}} ({{{key}_snn_acc}}) "
        f"| {{{key}_split}} | {{{key}_break_even}} |\n",
    )


# Profiles of the README's table on which both twins have a total: README row -> field prefix.
PRICED = {
    "cmos45-fp32": "fp32",
    "cmos45-fp32-dram": "dram",
    "cmos45-int8": "int8",
    "cmos7-int8": "cmos7",
    "gpu7-fp16": "gpu7",
}
LOIHI_HOST = "loihi+host=cmos7-int8"
TRUENORTH_HOST = "truenorth+host=cmos7-int8"
TABLE_HARDWARE = (*PRICED, "loihi", LOIHI_HOST, TRUENORTH_HOST)

PATTERNS = [
    Pattern(
        "example",
        "it reaches **{example_accuracy} test accuracy in {example_train_s} of training** "
        "(about {example_total_s} in all,",
    ),
    Pattern("estimate", "Energy: {gpt3_kwh} kWh ({gpt3_mwh} MWh)"),
    Pattern("estimate", "CO2e: {gpt3_kg} kg ({gpt3_t} t)"),
    Pattern("estimate", "  t = 14.8 d x 24 h/d = {gpt3_hours} h"),
    Pattern("estimate", "PUE 1.1 / 1000 = {gpt3_kwh} kWh"),
    Pattern("estimate", "  CO2e = {gpt3_kwh} kWh x 429 g/kWh / 1000 = {gpt3_kg} kg"),
    Pattern("estimate", "run.energy_kwh, run.co2e_kg  # about {a100_kwh} kWh and {a100_kg} kg"),
    Pattern("estimate", "print(run.formula[0])\n# {a100_formula}\n"),
    Pattern(
        "compare",
        "(MLP 64-128-10, 8 steps, direct\nencoding, trained 20 epochs in fp32, hidden layer at "
        "{spike_rate_per_step} spikes per neuron per step)",
    ),
    *(_priced_row(profile, key) for profile, key in PRICED.items()),
    Pattern(
        "compare",
        "\n| loihi | no total (MACs) | no total (first layer gets pixel values) | "
        "{loihi_split} priced | — |\n",
    ),
    Pattern(
        "compare",
        f"\n| {LOIHI_HOST} | no total (its hidden layer multiplies on the chip) | "
        "{loihi_host_snn} ({loihi_host_snn_acc}) | {loihi_host_split} | — |\n",
    ),
    Pattern(
        "compare",
        f"\n| {TRUENORTH_HOST} | no total | "
        "{truenorth_host_snn} ({truenorth_host_snn_acc}) | {truenorth_host_split} | — |\n",
    ),
    Pattern(
        "compare",
        "The spiking network does {snn_ops} effective operations against the ReLU network's "
        "{relu_macs} MACs, and\n",
    ),
    Pattern(
        "compare", "the 8 steps: memory is {memory_share} of its energy on cmos45-fp32, and no"
    ),
    Pattern(
        "compare",
        "On Loihi (with its first layer on a host) it costs {loihi_host_snn}, {loihi_host_ratio} "
        "times the ReLU twin on the 7 nm\n",
    ),
    Pattern(
        "compare",
        "each. TrueNorth's measured all-in 26 pJ per event gives {truenorth_host_snn}, with "
        "ternary weights costing\n{truenorth_drop} points of accuracy.",
    ),
    Pattern("compare", "hidden layer fires for {spike_rate_pct} of its neurons at each step"),
    Pattern("compare", "(memory is {memory_share} of its energy on cmos45-fp32), so it costs"),
    Pattern("compare", "costs {fp32_snn} against {fp32_relu} per inference"),
    Pattern(
        "compare",
        "on cmos45-fp32 and {int8_snn} against {int8_relu} on cmos45-int8 (both quantized to "
        "int8, {int8_snn_acc} and\n{int8_relu_acc} accurate there)",
    ),
    Pattern(
        "compare",
        "the spiking twin on Loihi with a 7 nm int8 host costs {loihi_host_snn}: "
        "{loihi_host_ratio} times the ReLU twin\non the 7 nm int8 accelerator ({cmos7_relu})",
    ),
    Pattern(
        "compare",
        "costs {fp32_relu} on cmos45-fp32 and {int8_relu} on cmos45-int8 throughout):",
    ),
    Pattern(
        "compare",
        "\n| default (`--steps 8`, direct) | {spiking_accuracy} | {spike_rate_pct} | {fp32_snn} | "
        "{int8_snn} | no total (>= {loihi_priced} priced) | {loihi_host_snn} | "
        "{fp32_break_even} |\n",
    ),
    Pattern(
        "compare",
        "| digits default: ReLU / spiking accuracy | {relu_accuracy} / {spiking_accuracy} |",
    ),
    *(_variant(label) for label in VARIANTS),
]


def percent(fraction: float) -> str:
    """0.977 -> "97.7 %", as the README writes shares."""
    return f"{fraction * 100:.1f} %"


# -- the measurements ------------------------------------------------------------------------


def measure_example() -> dict[str, str]:
    """Run the tutorial example as a user runs it; its accuracy and times."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    total_s = time.perf_counter() - started
    found = re.search(r"test accuracy ([\d.]+)% after ([\d.]+) s of training", done.stdout)
    assert found, done.stdout
    return {
        "example_accuracy": f"{float(found[1]):.1f} %",
        "example_train_s": f"{float(found[2]):.1f} s",
        "example_total_s": f"{total_s:.0f} s",
    }


def measure_estimate() -> dict[str, str]:
    """The README's two estimates: GPT-3 (Patterson et al. 2021) and the A100 example."""
    import greenspike as gs
    from greenspike._units import number

    gpt3 = gs.estimate_footprint(
        "V100", devices=10_000, days=14.8, power_w=330, pue=1.1, intensity_g_per_kwh=429
    )
    a100 = gs.estimate_footprint(
        "A100-SXM4-80GB",
        devices=8,
        hours=72,
        utilisation=0.7,
        cpu="any",
        cpu_cores=64,
        memory_gb=512,
        pue="aws",
        country="FRA",
    )
    assert gpt3.co2e_kg is not None and gpt3.co2e_t is not None and a100.co2e_kg is not None
    return {
        "gpt3_kwh": number(gpt3.energy_kwh),
        "gpt3_mwh": number(gpt3.energy_mwh),
        "gpt3_kg": number(gpt3.co2e_kg),
        "gpt3_t": number(gpt3.co2e_t),
        "gpt3_hours": number(gpt3.duration_h),
        "a100_kwh": number(a100.energy_kwh),
        "a100_kg": number(a100.co2e_kg),
        "a100_formula": a100.formula[0],
    }


def run_compare(**change):
    """`greenspike compare` with its defaults (and `change`), on one thread, kept nowhere."""
    import torch

    from greenspike.train import CompareConfig, compare

    torch.set_num_threads(1)  # as the command line runs it
    return compare(replace(CompareConfig(), **change), ledger=None)


def measure_compare(result=None) -> dict[str, str]:
    """The default comparison's figures, and its side-by-side tables (`compare_block`).

    One comparison priced on every profile of the README's table; the block shows what the
    default command prints (its default profiles and pairings).
    """
    from greenspike._units import si
    from greenspike.train import CompareConfig

    result = result or run_compare(hardware=TABLE_HARDWARE)
    relu, spiking = result.networks["relu"], result.networks["spiking"]
    assert relu.inference is not None and spiking.inference is not None
    assert relu.accuracy is not None and spiking.accuracy is not None
    assert spiking.spike_rate is not None and result.break_even is not None
    ann, snn = relu.inference.counts, spiking.inference.counts
    figures = {
        "relu_accuracy": percent(relu.accuracy),
        "spiking_accuracy": percent(spiking.accuracy),
        "spike_rate_per_step": f"{spiking.spike_rate:.2f}",
        "spike_rate_pct": f"{spiking.spike_rate * 100:.0f} %",
        "snn_ops": f"{snn.total.effective_ops:,.0f}",
        "relu_macs": f"{ann.total.effective_macs:,.0f}",
    }
    for profile, key in PRICED.items():
        ann_at, snn_at = relu.inference.energy[profile], spiking.inference.energy[profile]
        assert ann_at.energy_j is not None and snn_at.energy_j is not None
        figures[f"{key}_relu"] = si(ann_at.energy_j, "J")
        figures[f"{key}_relu_acc"] = percent(ann_at.accuracy)
        figures[f"{key}_snn"] = si(snn_at.energy_j, "J")
        figures[f"{key}_snn_acc"] = percent(snn_at.accuracy)
        figures[f"{key}_split"] = split(snn_at.estimate.total)
        figures[f"{key}_break_even"] = break_even_text(result.break_even[profile])
    fp32 = spiking.inference.energy["cmos45-fp32"].estimate.total
    assert fp32.energy_j is not None
    figures["memory_share"] = f"{fp32.memory_j / fp32.energy_j * 100:.0f} %"
    loihi = spiking.inference.energy["loihi"].estimate.total
    figures["loihi_split"] = split(loihi)
    figures["loihi_priced"] = si(loihi.priced_j, "J")
    for name, key in ((LOIHI_HOST, "loihi_host"), (TRUENORTH_HOST, "truenorth_host")):
        at = spiking.inference.energy[name]
        assert at.energy_j is not None
        figures[f"{key}_snn"] = si(at.energy_j, "J")
        figures[f"{key}_snn_acc"] = percent(at.accuracy)
        figures[f"{key}_split"] = split(at.estimate.total)
    cmos7 = relu.inference.energy["cmos7-int8"].energy_j
    host = spiking.inference.energy[LOIHI_HOST].energy_j
    assert cmos7 is not None and host is not None
    figures["loihi_host_ratio"] = f"{host / cmos7:.0f}"
    drop = spiking.accuracy - spiking.inference.energy[TRUENORTH_HOST].accuracy
    figures["truenorth_drop"] = f"{drop * 100:.1f}"
    default = CompareConfig()
    shown = replace(
        result,
        config=replace(result.config, hardware=default.hardware),
        verdicts=tuple(v for v in result.verdicts if v.spiking.deployment.name in default.hardware),
    )
    figures["compare_block"] = compare_block(shown)
    return figures


def measure_variants() -> dict[str, str]:
    """Each option of the README's table, one comparison each."""
    from greenspike._units import si
    from greenspike.train import CompareConfig

    hardware = (*CompareConfig().hardware, LOIHI_HOST)
    figures = {}
    for label, change in VARIANTS.items():
        key = variant_key(label)
        result = run_compare(hardware=hardware, **change)
        spiking = result.networks["spiking"]
        assert spiking.inference is not None and result.break_even is not None
        energy = spiking.inference.energy

        def total(name: str, energy=energy) -> str:
            joules = energy[name].energy_j
            return "no total" if joules is None else si(joules, "J")

        figures[f"{key}_accuracy"] = percent(spiking.accuracy)  # type: ignore[arg-type]
        figures[f"{key}_rate"] = f"{spiking.spike_rate * 100:.0f} %"  # type: ignore[operator]
        figures[f"{key}_fp32"] = total("cmos45-fp32")
        figures[f"{key}_int8"] = total("cmos45-int8")
        figures[f"{key}_loihi"] = total("loihi")
        figures[f"{key}_loihi_host"] = total(LOIHI_HOST)
        figures[f"{key}_break_even"] = break_even_pair(
            [result.break_even[p] for p in ("cmos45-fp32", "cmos45-int8")]
        )
    return figures


def split(estimate) -> str:
    """Compute / memory / neurons, 3 significant digits, in the unit of the largest."""
    from greenspike._units import prefix_of

    parts = (estimate.compute_j, estimate.memory_j, estimate.neuron_j)
    unit, size = prefix_of(max(parts), "J")
    return " / ".join(f"{part / size:.3g}" for part in parts) + f" {unit}"


def break_even_text(entry) -> str:
    """A `BreakEven` as the compare table words it: "never", "always", "always (337 %)", "12 %"."""
    if entry.verdict == "never":
        return "never"
    if entry.spike_rate is None:
        return "always"
    rate = f"{entry.spike_rate:.0%}".replace("%", " %")
    return f"always ({rate})" if entry.verdict == "always" else rate


def break_even_pair(entries) -> str:
    """Two break-even rates (fp32 / int8) in one cell: "never", "always (337 %) / never"."""
    if all(entry.verdict == "never" for entry in entries):
        return "never"
    return " / ".join(break_even_text(entry) for entry in entries)


def compare_block(result) -> str:
    """What `greenspike compare` prints at 80 columns, its paths as a user's would read."""
    from rich.console import Console

    from greenspike.report.compare import compare_table, deployments_table

    console = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(compare_table(result))
    if result.pairings:
        console.print(deployments_table(result))
    console.print("No CO2e: give --country (e.g. FRA, WORLD) or --intensity.")
    console.print("Results: greenspike-compare/results.json")
    console.print(
        f"Ledger: runs 1, 2 (tag compare={result.group}) in "
        "sqlite:////home/me/.greenspike/ledger.db"
    )
    console.print("Report: greenspike-compare/report.html")
    lines = [line.rstrip() for line in console.export_text().splitlines()]
    return "\n".join(lines)


SOURCES: dict[str, Callable[[], dict[str, str]]] = {
    "example": measure_example,
    "estimate": measure_estimate,
    "compare": measure_compare,
    "variants": measure_variants,
}


# -- reading and writing the README ----------------------------------------------------------


def readme_figures(text: str, patterns: list[Pattern]) -> dict[str, list[str]]:
    """Every value of every field as the README has it now (a field may appear in several places).

    Raises:
        ValueError: a pattern is not in the README exactly once.
    """
    found: dict[str, list[str]] = {}
    for pattern in patterns:
        matches = list(pattern.regex().finditer(text))
        if len(matches) != 1:
            raise ValueError(f"README has {len(matches)} places for {pattern.text!r}, not 1")
        for name, value in matches[0].groupdict().items():
            found.setdefault(name, []).append(value)
    if COMPARE_BLOCK in text:
        found["compare_block"] = [readme_compare_block(text)]
    return found


def readme_compare_block(text: str) -> str:
    start = text.index(COMPARE_BLOCK) + len(COMPARE_BLOCK) + 1
    return text[start : text.index("```", start)].rstrip("\n")


def table_rows(block: str) -> list[tuple[str, ...]]:
    """The deterministic rows of a compare table: (label, cells...), in order."""
    rows = []
    for line in block.splitlines():
        cells = tuple(cell.strip() for cell in line.strip("│ ").split("│"))
        if line.startswith("│") and cells[0].startswith(COMPARE_ROWS):
            rows.append(cells)
    return rows


def drifted(now: dict[str, str], readme: dict[str, list[str]]) -> list[str]:
    """The deterministic fields with a README value (anywhere) that differs from today's."""
    wrong = [
        name
        for name, value in now.items()
        if name not in DRIFTING
        and name != "compare_block"
        and any(old != value for old in readme.get(name, []))
    ]
    if "compare_block" in now and table_rows(now["compare_block"]) != table_rows(
        readme["compare_block"][0]
    ):
        wrong.append("compare_block")
    return wrong


def write(text: str, now: dict[str, str], patterns: list[Pattern]) -> str:
    """`text` with every field of `patterns` that was measured set to today's value."""
    for pattern in patterns:
        if not all(field in now for field in pattern.fields):
            continue
        new = pattern.text.format(**now)
        text = pattern.regex().sub(lambda _m, new=new: new, text, count=1)
    if "compare_block" in now:
        text = text.replace(readme_compare_block(text), now["compare_block"], 1)
    return text


def measure(sources: list[str]) -> dict[str, str]:
    figures: dict[str, str] = {}
    for source in sources:
        figures.update(SOURCES[source]())
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a figure drifted")
    parser.add_argument("--write", action="store_true", help="write today's figures")
    parser.add_argument("--all", action="store_true", help="also the table of compare options")
    parser.add_argument("--sources", help="comma-separated: example, estimate, compare")
    args = parser.parse_args()
    sources = ["example", "estimate", "compare"] + (["variants"] if args.all else [])
    if args.sources:
        sources = args.sources.split(",")
    patterns = [p for p in PATTERNS if p.source in sources]
    text = README.read_text()
    readme = readme_figures(text, patterns)
    now = measure(sources)
    wrong = drifted(now, readme)
    for name in sorted(now):
        if name == "compare_block":
            continue
        old = " | ".join(dict.fromkeys(readme.get(name, [])))
        mark = "drifting" if name in DRIFTING else "DIFFERS" if name in wrong else "ok"
        print(f"{mark:9} {name:24} README {old!r:28} now {now[name]!r}")
    if "compare_block" in now:
        mark = "DIFFERS" if "compare_block" in wrong else "ok"
        print(f"{mark:9} compare_block (deterministic rows)")
    if args.write:
        README.write_text(write(text, now, patterns))
        print(f"written to {README}")
    if args.check and wrong:
        print(f"drifted: {', '.join(wrong)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
