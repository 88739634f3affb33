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

from greenspike.cli._options import (
    BATCH_SIZE_OPTION,
    COUNTRY_OPTION,
    DATA_DIR_OPTION,
    DATASET_OPTION,
    DEVICE_OPTION,
    HARDWARE_FILE_OPTION,
    HARDWARE_OPTION,
    INTENSITY_OPTION,
    JSON_OPTION,
    LEDGER_OPTION,
    LIMIT_OPTION,
    NO_LEDGER_OPTION,
    PUE_OPTION,
    SEED_OPTION,
    STEPS_HELP,
    ledger_choice,
    names,
    number_or_name,
    out_option,
)
from greenspike.errors import InvalidInputError

INTERRUPTED_EXIT_CODE = 130
OUT_OPTION = out_option("greenspike-compare", "results.json and report.html")
REPORT_FILE = "report.html"


def compare(
    dataset: str = DATASET_OPTION,
    model: str = typer.Option("mlp", help="mlp or cnn."),
    hidden: str = typer.Option("128", help="Hidden widths (mlp) or channels (cnn), e.g. 128,128."),
    epochs: int = typer.Option(20, help="Training epochs, the same for both networks."),
    steps: int = typer.Option(8, help=f"{STEPS_HELP}."),
    encoding: str = typer.Option(
        None, help="direct (default), rate or latency; events for nmnist and shd (their default)."
    ),
    batch_size: int = BATCH_SIZE_OPTION,
    hardware: str = HARDWARE_OPTION,
    deploy: list[str] = typer.Option(
        None,
        help="Each twin on its own hardware: relu=DEPLOYMENT,spiking=DEPLOYMENT (repeatable; "
        "default: relu=cmos7-int8 or gpu7-fp16 against spiking=loihi+host=cmos7-int8, and "
        "relu=cmos7-int8 against spiking=truenorth+host=cmos7-int8).",
    ),
    hardware_file: Path = HARDWARE_FILE_OPTION,
    precision: str = typer.Option(
        "fp32", help="What is trained: fp32, int8 or int4 (then quantization-aware fine-tuning)."
    ),
    qat_epochs: int = typer.Option(
        None, help="Quantization-aware epochs after the float ones (default 3 with int8/int4)."
    ),
    country: str = COUNTRY_OPTION,
    intensity_g_per_kwh: float = INTENSITY_OPTION,
    pue: str = PUE_OPTION,
    data_dir: Path = DATA_DIR_OPTION,
    out: Path = OUT_OPTION,
    as_json: bool = JSON_OPTION,
    seed: int = SEED_OPTION,
    device: str = DEVICE_OPTION,
    limit: int = LIMIT_OPTION,
    ledger: str = LEDGER_OPTION,
    no_ledger: bool = NO_LEDGER_OPTION,
) -> None:
    """Train a conventional network and its spiking twin on the same task; compare them."""
    import torch

    from greenspike._files import check_writable_folder
    from greenspike.ledger.sink import open_ledger
    from greenspike.report.compare import compare_table, deployments_table, write_compare_report
    from greenspike.train import CompareConfig, write_results
    from greenspike.train import compare as run_compare

    torch.set_num_threads(1)  # small matrices: one thread is fastest, and fair to neighbours
    pairings = {"deploy": tuple(_pairing(text) for text in deploy)} if deploy else {}
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
        intensity_g_per_kwh=intensity_g_per_kwh,
        pue=number_or_name(pue),
        limit=limit,
        hardware=names(hardware),
        precision=precision,
        qat_epochs=qat_epochs,
        hardware_file=None if hardware_file is None else str(hardware_file),
        **pairings,  # type: ignore[arg-type]
    )
    config.check()
    check_writable_folder(out, "--out")  # before training, not after
    all_epochs = config.epochs + config.resolved_qat_epochs
    console = Console()
    messages = Console(stderr=True) if as_json else console  # stdout is the JSON's
    kept = ledger_choice(ledger, no_ledger)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=messages,
        transient=True,
    ) as progress:
        bars: dict[str, tuple[TaskID, TaskID]] = {}  # network -> (epochs bar, batches bar)

        def on_batch(network: str, epoch: int, batch: int, batches: int, loss: float) -> None:
            if network not in bars:
                bars[network] = (
                    progress.add_task(f"{network} epochs", total=all_epochs),
                    progress.add_task(f"{network} batches", total=batches),
                )
            epoch_bar, batch_bar = bars[network]
            progress.update(batch_bar, completed=batch + 1, description=f"loss {loss:.3f}")
            progress.update(epoch_bar, completed=epoch + (batch + 1) // batches)

        paths: list[Path] = []
        result = run_compare(
            config,
            on_batch=on_batch,
            on_end=lambda result: paths.append(write_results(result, out, None)),
            ledger=kept,
        )
    path = paths[0]
    if as_json:
        typer.echo(path.read_text(), nl=False)
    else:
        console.print(compare_table(result))
        if result.pairings:
            console.print(deployments_table(result))
    if country is None and intensity_g_per_kwh is None:
        messages.print("No CO2e: give --country (e.g. FRA, WORLD) or --intensity.", style="dim")
    messages.print(f"Results: {escape(str(path))}", style="dim")
    run_ids = [n.run_id for n in result.networks.values() if n.run_id is not None]
    if run_ids and kept is not None:
        store = open_ledger(kept)  # the one the runs went to, opened once
        messages.print(
            f"Ledger: runs {', '.join(map(str, run_ids))} (tag compare={result.group}) "
            f"in {escape(store.where)}",
            style="dim",
        )
        report = write_compare_report(result, store, out / REPORT_FILE)
        messages.print(f"Report: {escape(str(report))}", style="dim")
    elif kept is not None:
        messages.print("No report: the runs were not kept in the ledger (see above).", style="dim")
    if result.status == "interrupted":
        messages.print("[yellow]Interrupted[/]: the results hold what was measured until then.")
        raise typer.Exit(INTERRUPTED_EXIT_CODE)


# The widest hidden layer --hidden takes: wider, one layer's weights alone would not fit in memory.
MAX_WIDTH = 2**20


def _pairing(text: str) -> tuple[str, str]:
    """ "relu=cmos7-int8,spiking=loihi+host=cmos7-int8" -> ("cmos7-int8", "loihi+host=...")."""
    sides: dict[str, str] = {}
    for part in text.split(","):
        twin, sep, where = part.partition("=")
        twin = twin.strip()
        if not sep or twin not in ("relu", "spiking") or twin in sides or not where.strip():
            raise InvalidInputError(
                f"--deploy takes relu=DEPLOYMENT,spiking=DEPLOYMENT "
                f"(e.g. relu=cmos7-int8,spiking=loihi+host=cmos7-int8), got {text!r}"
            )
        sides[twin] = where.strip()
    if set(sides) != {"relu", "spiking"}:
        raise InvalidInputError(
            f"--deploy needs both twins: relu=DEPLOYMENT,spiking=DEPLOYMENT, got {text!r}"
        )
    return sides["relu"], sides["spiking"]


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InvalidInputError(
            f"--hidden must be comma-separated integers, got {text!r}"
        ) from None
    if any(not 1 <= size <= MAX_WIDTH for size in sizes):
        raise InvalidInputError(f"--hidden sizes must be from 1 to {MAX_WIDTH:,}, got {text!r}")
    return sizes
