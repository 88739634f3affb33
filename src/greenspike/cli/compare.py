"""`greenspike compare`: train a ReLU network and its spiking twin, show both side by side."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from greenspike.cli._options import LEDGER_OPTION
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
    spiking: str = typer.Option(
        "twin",
        help="The spiking network compared: twin (trained as such), convert (the ReLU twin "
        "converted after its training), or both.",
    ),
    curve_steps: str = typer.Option(
        "8,16,32,64,128",
        help="Time steps at which the converted network is also tested and priced.",
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

    from greenspike.ledger.sink import open_ledger
    from greenspike.report.compare import (
        compare_table,
        conversion_curve_table,
        write_compare_report,
    )
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
        spiking=spiking,  # type: ignore[arg-type]  # checked by config.check()
        curve_steps=_integers(curve_steps, "--curve-steps"),
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
        bars: dict[str, tuple[TaskID, TaskID]] = {}  # network -> (epochs bar, batches bar)

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
    console.print(compare_table(result))
    curve = conversion_curve_table(result)
    if curve is not None:
        console.print(curve)
    if country is None:
        console.print("No CO2e: give --country (e.g. FRA, WORLD).", style="dim")
    console.print(f"Results: {escape(str(path))}", style="dim")
    run_ids = [n.run_id for n in result.networks.values() if n.run_id is not None]
    if run_ids:
        store = open_ledger(ledger or "default")  # the one the runs went to, opened once
        console.print(
            f"Ledger: runs {', '.join(map(str, run_ids))} (tag compare={result.group}) "
            f"in {escape(store.where)}",
            style="dim",
        )
        report = write_compare_report(result, store, out / REPORT_FILE)
        console.print(f"Report: {escape(str(report))}", style="dim")
    elif not no_ledger:
        console.print("No report: the runs were not kept in the ledger (see above).", style="dim")
    if result.status == "interrupted":
        console.print("[yellow]Interrupted[/]: the results hold what was measured until then.")
        raise typer.Exit(INTERRUPTED_EXIT_CODE)


def _sizes(text: str) -> tuple[int, ...]:
    return _integers(text, "--hidden")


def _integers(text: str, option: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InvalidInputError(
            f"{option} must be comma-separated integers, got {text!r}"
        ) from None
    if any(size < 1 for size in sizes):
        raise InvalidInputError(f"{option} values must be >= 1, got {text!r}")
    return sizes
