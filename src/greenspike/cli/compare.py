"""`greenspike compare`: train a ReLU network and its spiking twin, show both side by side."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

INTERRUPTED_EXIT_CODE = 130


def compare(
    dataset: str = typer.Option("digits", help="digits (bundled), mnist or fashion-mnist."),
    model: str = typer.Option("mlp", help="mlp or cnn."),
    hidden: str = typer.Option("128", help="Hidden widths (mlp) or channels (cnn), e.g. 128,128."),
    epochs: int = typer.Option(20, help="Training epochs, the same for both networks."),
    steps: int = typer.Option(8, help="Time steps per image for the spiking network."),
    encoding: str = typer.Option("direct", help="direct, rate or latency."),
    batch_size: int = typer.Option(64, help="Minibatch size."),
    hardware: str = typer.Option(
        None, help="Hardware profiles for per-inference energy (recorded; needs the cost model)."
    ),
    country: str = typer.Option(None, help="Country for the CO2e of the training energy."),
    data_dir: Path = typer.Option(
        None, help="Directory with the IDX files of mnist/fashion-mnist."
    ),
    out: Path = typer.Option(Path("greenspike-compare"), help="Directory for results.json."),
    json_file: Path = typer.Option(None, "--json", help="Also write the results to this file."),
    seed: int = typer.Option(0, help="Seed for initialisation, data order and spikes."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    limit: int = typer.Option(None, help="Train on the first N train images only."),
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
        hardware=tuple(hardware.split(",")) if hardware else (),
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
        )
    path = paths[0]
    console.print(_table(result))
    if result["energy"]["co2e_g"] is None:
        console.print("No CO2e: give --country (e.g. FRA, WORLD).", style="dim")
    console.print(f"Results: {path}", style="dim")
    if hardware:
        console.print("Per-inference energy on hardware profiles: not computed yet.", style="dim")
    if result["status"] == "interrupted":
        console.print("[yellow]Interrupted[/]: the results hold what was measured until then.")
        raise typer.Exit(INTERRUPTED_EXIT_CODE)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"--hidden must be comma-separated integers, got {text!r}") from None
    if any(size < 1 for size in sizes):
        raise ValueError(f"--hidden sizes must be >= 1, got {text!r}")
    return sizes


def _grams(co2e_g: float | None) -> str:
    return "-" if co2e_g is None else f"{co2e_g:.3g} g"


def _table(result: dict) -> Table:
    networks = result["networks"]
    table = Table(title=f"{result['config']['model']} on {result['config']['dataset']}")
    table.add_column("")
    for name in networks:
        table.add_column(name, justify="right")

    def row(label: str, cell) -> None:
        table.add_row(label, *(cell(entry) for entry in networks.values()))

    row("status", lambda e: e["status"])
    row("test accuracy", lambda e: f"{e['accuracy']:.1%}" if "accuracy" in e else "-")
    row("parameters", lambda e: f"{e['parameters']:,}")
    row("training time", lambda e: f"{e['train_time_s']:.1f} s")
    row("training energy", lambda e: f"{e['training_energy']['totals']['energy_j']:.1f} J")
    row("  measured", lambda e: f"{e['training_energy']['totals']['measured_energy_j']:.1f} J")
    row("  estimated", lambda e: f"{e['training_energy']['totals']['estimated_energy_j']:.1f} J")
    row("training CO2e", lambda e: _grams(e.get("training_co2e_g")))
    row("hidden spike rate", lambda e: f"{e['spike_rate']:.1%}" if "spike_rate" in e else "-")
    sources = "; ".join(
        f"{c['name']}: {c['provenance']} ({c['method']})"
        for c in result["energy"].get("components", [])
    )
    table.caption = f"Energy by {sources}" if sources else None
    return table
