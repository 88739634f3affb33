"""`greenspike compare`: train a ReLU network and its spiking twin, show both side by side."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from greenspike.cli.options import LEDGER_OPTION
from greenspike.errors import InvalidInputError

INTERRUPTED_EXIT_CODE = 130
REPORT_FILE = "report.html"


def compare(
    dataset: str = typer.Option(
        "digits", help="digits (bundled), mnist, fashion-mnist, or nmnist, shd (through tonic)."
    ),
    model: str = typer.Option("mlp", help="mlp or cnn."),
    hidden: str = typer.Option("128", help="Hidden widths (mlp) or channels (cnn), e.g. 128,128."),
    epochs: int = typer.Option(20, help="Training epochs, the same for both networks."),
    steps: int = typer.Option(8, help="Time steps per image for the spiking network."),
    encoding: str = typer.Option(
        None, help="direct (default), rate or latency; events for nmnist and shd (their default)."
    ),
    batch_size: int = typer.Option(64, help="Minibatch size."),
    hardware: str = typer.Option(
        "cmos45-fp32,cmos45-int8,loihi",
        help="Hardware profiles for the energy per inference (greenspike.cost profiles).",
    ),
    country: str = typer.Option(None, help="Country for the CO2e of the training energy."),
    data_dir: Path = typer.Option(
        None, help="Directory with the files of mnist/fashion-mnist, or tonic's of nmnist/shd."
    ),
    out: Path = typer.Option(
        Path("greenspike-compare"), help="Directory for results.json and report.html."
    ),
    json_file: Path = typer.Option(None, "--json", help="Also write the results to this file."),
    seed: int = typer.Option(0, help="Seed for initialisation, data order and spikes."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    limit: int = typer.Option(None, help="Train on the first N train images only."),
    ledger: str = LEDGER_OPTION,
    no_ledger: bool = typer.Option(
        False, "--no-ledger", help="Keep the runs out of the ledger (then no report.html)."
    ),
) -> None:
    """Train a conventional network and its spiking twin on the same task; compare them."""
    import torch

    from greenspike.train import CompareConfig, write_results
    from greenspike.train import compare as run_compare

    torch.set_num_threads(1)  # small matrices: one thread is fastest, and fair to neighbours
    config = CompareConfig(
        dataset=dataset,
        model=model,
        hidden=_sizes(hidden),
        epochs=epochs,
        steps=steps,
        encoding=encoding,
        batch_size=batch_size,
        seed=seed,
        device=device,
        data_dir=None if data_dir is None else str(data_dir),
        country=country,
        limit=limit,
        hardware=tuple(name.strip() for name in hardware.split(",") if name.strip()),
    )
    config.check()
    console = Console()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        bars: dict[str, tuple[int, int]] = {}  # network -> (epochs bar, batches bar)

        def on_batch(network: str, epoch: int, batch: int, batches: int, loss: float) -> None:
            if network not in bars:
                bars[network] = (
                    progress.add_task(f"{network} epochs", total=epochs),
                    progress.add_task(f"{network} batches", total=batches),
                )
            epoch_bar, batch_bar = bars[network]
            progress.update(batch_bar, completed=batch + 1, description=f"loss {loss:.3f}")
            progress.update(epoch_bar, completed=epoch + (batch + 1) // batches)

        paths: list[Path] = []
        result = run_compare(
            config,
            on_batch=on_batch,
            on_end=lambda result: paths.append(write_results(result, out, json_file)),
            ledger=None if no_ledger else ledger or "default",
        )
    path = paths[0]
    console.print(_table(result))
    if country is None:
        console.print("No CO2e: give --country (e.g. FRA, WORLD).", style="dim")
    console.print(f"Results: {path}", style="dim")
    run_ids = [e["run_id"] for e in result["networks"].values() if e.get("run_id") is not None]
    if run_ids:
        from greenspike.ledger.sink import open_ledger

        store = open_ledger(ledger or "default")  # the one the runs went to, opened once
        console.print(
            f"Ledger: runs {', '.join(map(str, run_ids))} (tag compare={result['group']}) "
            f"in {store.where}",
            style="dim",
        )
        report = _write_report(result, store, run_ids, out / REPORT_FILE)
        console.print(f"Report: {report}", style="dim")
    elif not no_ledger:
        console.print("No report: the runs were not kept in the ledger (see above).", style="dim")
    if result["status"] == "interrupted":
        console.print("[yellow]Interrupted[/]: the results hold what was measured until then.")
        raise typer.Exit(INTERRUPTED_EXIT_CODE)


def _write_report(result: dict, ledger, run_ids: list[int], path: Path) -> Path:
    """report.html of the comparison's runs, test accuracy against energy included."""
    from greenspike.report import write_html_report

    config = result["config"]
    title = f"greenspike compare {result['group']}: {config['model']} on {config['dataset']}"
    return write_html_report(ledger, run_ids, path, title=title)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InvalidInputError(
            f"--hidden must be comma-separated integers, got {text!r}"
        ) from None
    if any(size < 1 for size in sizes):
        raise InvalidInputError(f"--hidden sizes must be >= 1, got {text!r}")
    return sizes


def _grams(co2e_g: float | None) -> str:
    return "-" if co2e_g is None else f"{co2e_g:.3g} g"


def _training_j(entry: dict, total: str) -> str:
    """A total in joules; "-" for a part no component contributes to (nothing measured is not
    a measurement of 0 J)."""
    totals = entry["training_energy"]["totals"]
    if total != "energy_j" and totals[total] == 0 and totals["energy_j"] > 0:
        return "-"
    return f"{totals[total]:.1f} J"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _ops(counts: dict, kind: str) -> str:
    """`{kind}_macs` and `{kind}_acs` as e.g. "5,265 MAC + 5,757 AC"."""
    parts = [
        f"{_count(counts[f'{kind}_{op}s'])} {op.upper()}"
        for op in ("mac", "ac")
        if counts[f"{kind}_{op}s"]
    ]
    return " + ".join(parts) or "0"


def _bytes(value: float) -> str:
    for unit, size in (("MB", 1e6), ("kB", 1e3)):
        if value >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value:.3g} B"


def _joules(value: float) -> str:
    for unit, size in (("J", 1.0), ("mJ", 1e-3), ("µJ", 1e-6), ("nJ", 1e-9)):
        if value >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value / 1e-12:.3g} pJ"


def _split(energy: dict) -> str:
    """compute / memory / neurons in the unit of the largest ("-" if nothing was priced)."""
    if not energy["priced_j"]:
        return "-"
    parts = (energy["compute_j"], energy["memory_j"], energy["neuron_j"])
    unit = _joules(max(parts)).split()[-1]
    size = {"J": 1.0, "mJ": 1e-3, "µJ": 1e-6, "nJ": 1e-9, "pJ": 1e-12}[unit]
    return " / ".join(f"{part / size:.3g}" for part in parts) + f" {unit}"


def _break_even(entry: dict) -> str:
    verdict = entry["verdict"]
    if verdict == "unpriced":
        return "-"
    if verdict == "never":
        return "0 (never)"
    if entry["spike_rate"] is None:
        return "∞ (always)"
    return f"{entry['spike_rate']:.1%}"


def _table(result: dict) -> Table:
    networks = result["networks"]
    table = Table(
        title=f"{result['config']['model']} on {result['config']['dataset']}",
        caption_justify="left",
    )
    table.add_column("")
    for name in networks:
        table.add_column(name, justify="right")

    def row(label: str, cell, when: str | None = None) -> None:
        table.add_row(
            label,
            *(cell(entry) if (when or "status") in entry else "-" for entry in networks.values()),
        )

    row("status", lambda e: e["status"])
    row("test accuracy", lambda e: f"{e['accuracy']:.1%}", "accuracy")
    row("parameters", lambda e: f"{e['parameters']:,}", "parameters")
    row("training time", lambda e: f"{e['train_time_s']:.1f} s", "train_time_s")
    for label, total in (
        ("training energy", "energy_j"),
        ("  measured", "measured_energy_j"),
        ("  estimated", "estimated_energy_j"),
    ):
        row(label, lambda e, t=total: _training_j(e, t), "training_energy")
    row("training CO2e", lambda e: _grams(e["training_co2e_g"]), "training_co2e_g")
    table.add_section()
    row("per inference: ops", lambda e: _ops(e["inference"]["total"], "effective"), "inference")
    row("  dense ops", lambda e: _ops(e["inference"]["total"], "dense"), "inference")
    row(
        "  neuron updates",
        lambda e: _count(e["inference"]["total"]["neuron_updates"]),
        "inference",
    )
    row(
        "  memory moved (32-bit)",
        lambda e: _bytes(e["inference"]["memory_bytes_at_32_bit"]),
        "inference",
    )
    row("hidden spike rate", lambda e: f"{e['spike_rate']:.1%}", "spike_rate")
    notes = []
    for hardware in result["config"]["hardware"]:
        table.add_section()
        notes += _profile_rows(table, row, result, hardware)
    table.caption = "\n".join([*notes, *_captions(result)])
    return table


def _profile_rows(table: Table, row, result: dict, hardware: str) -> list[str]:
    """Energy per inference on `hardware`, its split and the break-even rate; returns the notes
    on the networks it cannot price in full."""

    def energy(entry: dict) -> dict:
        return entry["inference"]["energy"][hardware]

    def total(entry: dict) -> str:
        return _joules(energy(entry)["energy_j"]) if energy(entry)["complete"] else "no total"

    row(f"energy on {hardware}", total, "inference")
    row("  compute / memory / neurons", lambda e: _split(energy(e)), "inference")
    networks = result["networks"]
    if hardware in result.get("break_even", {}):
        rate = _break_even(result["break_even"][hardware])
        cells = [rate if name == "spiking" else "" for name in networks]
        table.add_row("  break-even spike rate", *cells)
    return [
        _unpriced_note(name, hardware, energy(entry), result["config"])
        for name, entry in networks.items()
        if "inference" in entry and not energy(entry)["complete"]
    ]


def _unpriced_note(network: str, hardware: str, energy: dict, config: dict) -> str:
    note = (
        f"{hardware}, {network}: no total: {'; '.join(energy['unpriced'])} in layer(s) "
        f"{', '.join(energy['unpriced_layers'])}; the split holds what it could price"
    )
    if network == "spiking" and config["encoding"] == "direct":
        note += " (the first layer gets pixel values; --encoding rate or latency feeds it spikes)"
    return note


def _captions(result: dict) -> list[str]:
    lines = []
    if result.get("break_even"):
        lines.append(
            "Break-even: the spike rate below which the spiking twin costs less per inference "
            "than the ReLU twin on that profile (0: never, even silent; ∞: at any rate; "
            "-: a network has operations the profile cannot price)."
        )
    energies = [e["energy"] for e in result["networks"].values() if "energy" in e]
    sources = "; ".join(
        f"{c['name']}: {c['provenance']} ({c['method']})"
        for c in (energies[0]["components"] if energies else [])
    )
    if sources:
        lines.append(f"Training energy by {sources}.")
    if result["config"]["hardware"]:
        lines.append("Energy per inference: estimated by greenspike.cost (see README).")
    return lines
