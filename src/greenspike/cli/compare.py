"""`greenspike compare`: train a ReLU network and its spiking twin, show both side by side.

Progress is printed as lines (each network's first and last epochs, and one every
EPOCH_LINE_S between; during a long epoch, a line every BATCH_LINE_S when the output is not a
terminal, which shows a progress bar instead), so that it reads the same in a log; before a run
forecast to be long, one line says so and how to shorten it. With `--optimize`, a search for
the cheapest spiking network follows the twins. With `--json`, standard output holds only
results.json; the progress lines and messages go to standard error.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

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

from greenspike._signals import Terminated, sigterm_raises
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
    LEARN_BETA_OPTION,
    LEARN_THRESHOLD_OPTION,
    LEDGER_OPTION,
    LIMIT_OPTION,
    NO_LEDGER_OPTION,
    PUE_OPTION,
    SEED_OPTION,
    STEPS_HELP,
    TARGET_RATE_OPTION,
    out_option,
)
from greenspike.cli._values import ledger_choice, names, number_or_name
from greenspike.errors import InvalidInputError

if TYPE_CHECKING:
    from greenspike.search import Optimization, OptimizeConfig
    from greenspike.train import CompareResult, EpochRecord

INTERRUPTED_EXIT_CODE = 130
OUT_OPTION = out_option("greenspike-compare", "results.json and report.html")
REPORT_FILE = "report.html"
LOG_WIDTH = 140  # columns of the tables when the output is not a terminal
BATCH_LINE_S = 10.0  # in a log, a line at least this often while an epoch goes on
EPOCH_LINE_S = 2.0  # an epoch's line when this long passed since the last line (and always
# for a network's first and last epochs), so a quick run does not flood the output


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
    spiking: str = typer.Option(
        "twin",
        help="The spiking network compared: twin (trained as such), convert (the ReLU twin "
        "converted after its training), or both.",
    ),
    curve_steps: str = typer.Option(
        "8,16,32,64,128",
        help="Time steps at which the converted network is also tested and priced.",
    ),
    hardware_file: Path = HARDWARE_FILE_OPTION,
    precision: str = typer.Option(
        "fp32", help="What is trained: fp32, int8 or int4 (then quantization-aware fine-tuning)."
    ),
    qat_epochs: int = typer.Option(
        None, help="Quantization-aware epochs after the float ones (default 3 with int8/int4)."
    ),
    lr: float = typer.Option(2e-3, help="Adam's learning rate, the same for both twins."),
    beta: float = typer.Option(0.9, help="Spiking twin: LIF membrane decay per step, in (0, 1]."),
    threshold: float = typer.Option(1.0, help="Spiking twin: LIF firing threshold, > 0."),
    learn_beta: bool = LEARN_BETA_OPTION,
    learn_threshold: bool = LEARN_THRESHOLD_OPTION,
    rate_penalty: float = typer.Option(
        0.0,
        help="Spiking twin: weight of an activity penalty on its spikes (L1 on the spike rate; "
        "with --target-rate, on each layer's rate above it). 0: none.",
    ),
    target_rate: float = TARGET_RATE_OPTION,
    optimize: bool = typer.Option(
        False,
        "--optimize",
        help="After the twins, search for the cheapest spiking network on --target within "
        "--max-drop points of the ReLU twin's accuracy, and add it as a third network.",
    ),
    target: str = typer.Option(
        "cmos45-int8", help="--optimize: the profile or deployment whose energy is minimised."
    ),
    max_drop: float = typer.Option(
        1.0, help="--optimize: accuracy points the network may lose against the ReLU twin."
    ),
    trials: int = typer.Option(40, help="--optimize: the most trials."),
    energy_budget_kj: float = typer.Option(
        None, help="--optimize: stop starting trials once they used this many kJ."
    ),
    time_budget_min: float = typer.Option(
        None, help="--optimize: stop starting trials after this many minutes."
    ),
    optimize_epochs: int = typer.Option(
        None, help="--optimize: epochs per trial (default: --epochs)."
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
    measure_inference: bool = typer.Option(
        False,
        "--measure-inference",
        help="Also run each twin's inference on this machine (ReLU in torch; spiking dense and "
        "event-driven) at batch 1 and 64, its energy measured (or estimated where the machine "
        "has no counters).",
    ),
    measure_inference_s: float = typer.Option(
        3.0,
        "--measure-seconds",
        help="Seconds each --measure-inference run lasts (per implementation and batch).",
    ),
) -> None:
    """Train a conventional network and its spiking twin on the same task; compare them."""
    import torch

    from greenspike._files import check_writable_folder
    from greenspike._memory import keep_freed_memory
    from greenspike.ledger.sink import open_ledger
    from greenspike.report.compare import (
        compare_table,
        conversion_curve_table,
        deployments_table,
    )
    from greenspike.report.measured_inference import measured_inference_table
    from greenspike.report.progress import forecast_line
    from greenspike.train import CompareConfig, write_results
    from greenspike.train import compare as run_compare

    torch.set_num_threads(1)  # small matrices: one thread is fastest, and fair to neighbours
    keep_freed_memory()  # reuse each step's large buffers (see greenspike._memory)
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
        measure_inference_s=measure_inference_s if measure_inference else None,
        lr=lr,
        beta=beta,
        threshold=threshold,
        learn_beta=learn_beta,
        learn_threshold=learn_threshold,
        rate_penalty=rate_penalty,
        target_rate=target_rate,
        **pairings,
        spiking=spiking,  # type: ignore[arg-type]  # checked by config.check()
        curve_steps=_integers(curve_steps, "--curve-steps"),
    )
    config.check()
    check_writable_folder(out, "--out")  # before training, not after
    optimizing = None
    if optimize:
        optimizing = _optimize_config(
            target, max_drop, trials, energy_budget_kj, time_budget_min, optimize_epochs
        )
        if config.spiking == "convert":
            raise InvalidInputError(
                "--optimize starts from the spiking twin, which --spiking convert does not "
                "train: use --spiking twin or both"
            )
        if target not in config.hardware:  # the twins are priced on the target too
            config = replace(config, hardware=(*config.hardware, target))
        optimizing.check(config)
    console = _console(stderr=False)
    messages = _console(stderr=True) if as_json else console  # stdout is the JSON's
    kept = ledger_choice(ledger, no_ledger)
    paths: list[Path] = []
    with _Progress(messages, config.epochs + config.resolved_qat_epochs) as progress:
        result = run_compare(
            config,
            on_batch=progress.on_batch,
            on_epoch=progress.on_epoch,
            on_forecast=lambda f: progress.say(forecast_line(f, config)),
            on_end=lambda result: paths.append(write_results(result, out, None)),
            ledger=kept,
        )
        optimization = None
        if optimizing is not None and result.status == "finished":
            try:
                with sigterm_raises():
                    optimization = _run_optimization(result, optimizing, out, kept, progress, paths)
                result = optimization.result
            except (KeyboardInterrupt, Terminated):  # the twins are kept as they were
                result = replace(result, status="interrupted")
                paths.append(write_results(result, out, None))
    path = paths[-1]
    if as_json:
        typer.echo(path.read_text(), nl=False)
    else:
        console.print(compare_table(result))
        curve = conversion_curve_table(result)
        if curve is not None:
            console.print(curve)
        if result.pairings:
            console.print(deployments_table(result))
        if result.measured_inference is not None:
            console.print(measured_inference_table(result.measured_inference))
        if optimization is not None:
            from greenspike.report.optimize import optimization_lines

            for line in optimization_lines(optimization):
                console.print(escape(line))
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
        from greenspike.report.compare_html import write_compare_report

        report = write_compare_report(result, store, out / REPORT_FILE, optimization)
        messages.print(f"Report: {escape(str(report))}", style="dim")
    elif kept is not None:
        messages.print("No report: the runs were not kept in the ledger (see above).", style="dim")
    if result.status == "interrupted":
        messages.print("[yellow]Interrupted[/]: the results hold what was measured until then.")
        raise typer.Exit(INTERRUPTED_EXIT_CODE)


# The widest hidden layer --hidden takes: wider, one layer's weights alone would not fit in memory.
MAX_WIDTH = 2**20


def _console(*, stderr: bool) -> Console:
    """A console on stdout or stderr; in a log (not a terminal), wide enough for the tables."""
    console = Console(stderr=stderr)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(stderr=stderr, width=LOG_WIDTH)
    return console


class _Progress:
    """Progress lines of each network (a progress bar too, in a terminal)."""

    def __init__(self, console: Console, epochs: int):
        self.console, self.epochs = console, epochs
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.bars: dict[str, tuple[TaskID, TaskID]] = {}  # network -> (epochs, batches)
        self.started: dict[str, float] = {}
        self.last_line = time.monotonic()

    def __enter__(self) -> _Progress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def say(self, line: str | None) -> None:
        """Print a line above the bar (nothing for None)."""
        if line is not None:
            self.console.print(escape(line), highlight=False)
            self.last_line = time.monotonic()

    def on_batch(self, network: str, epoch: int, batch: int, batches: int, loss: float) -> None:
        """Move the bars; in a log, a line now and then while a long epoch goes on."""
        from greenspike.report.progress import batch_line

        now = time.monotonic()
        if network not in self.bars:
            self.started[network] = now
            self.bars[network] = (
                self.bar.add_task(f"{network} epochs", total=self.epochs),
                self.bar.add_task(f"{network} batches", total=batches),
            )
        epoch_bar, batch_bar = self.bars[network]
        self.bar.update(batch_bar, completed=batch + 1, description=f"loss {loss:.3f}")
        self.bar.update(epoch_bar, completed=epoch + (batch + 1) // batches)
        if not self.console.is_terminal and now - self.last_line >= BATCH_LINE_S:
            elapsed = now - self.started[network]
            self.say(batch_line(network, epoch, self.epochs, batch, batches, loss, elapsed))

    def on_epoch(self, record: EpochRecord) -> None:
        """A line for the first and last epochs of each network, and for one now and then."""
        from greenspike.report.progress import epoch_line

        edge = record.epoch in (0, record.epochs - 1)
        if edge or time.monotonic() - self.last_line >= EPOCH_LINE_S:
            self.say(epoch_line(record))


def _optimize_config(
    target: str,
    max_drop: float,
    trials: int,
    energy_budget_kj: float | None,
    time_budget_min: float | None,
    epochs: int | None,
) -> OptimizeConfig:
    """The search `--optimize` runs (the `search` extra: Optuna).

    Raises:
        MissingExtraError: Optuna is not installed.
    """
    import importlib.util

    from greenspike.errors import MissingExtraError

    if importlib.util.find_spec("optuna") is None:
        raise MissingExtraError("--optimize needs Optuna: pip install 'greenspike[search]'")
    from greenspike.search import OptimizeConfig

    return OptimizeConfig(
        target=target,
        max_drop=max_drop,
        trials=trials,
        energy_budget_kj=energy_budget_kj,
        time_budget_min=time_budget_min,
        epochs=epochs,
    )


def _run_optimization(
    result: CompareResult,
    optimizing: OptimizeConfig,
    out: Path,
    kept: str | None,
    progress: _Progress,
    paths: list[Path],
) -> Optimization:
    """Search, add the chosen network, rewrite results.json with the search in it."""
    from greenspike.report.optimize import trial_line
    from greenspike.report.progress import forecast_line, search_forecast_line
    from greenspike.search import optimize
    from greenspike.train import write_results

    config = result.config
    spiking = result.networks["spiking"]
    progress.say(
        search_forecast_line(
            optimizing.trials,
            optimizing.epochs or config.epochs,
            config.epochs,
            spiking.train_time_s,
        )
    )
    optimization = optimize(
        result,
        optimizing,
        out=str(out),
        ledger=kept,
        on_trial=lambda trial: progress.say(trial_line(trial, optimizing.target)),
        on_batch=progress.on_batch,
        on_epoch=progress.on_epoch,
        on_forecast=lambda f: progress.say(forecast_line(f, config)),
    )
    paths.append(write_results(optimization, out, None))
    return optimization


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
    return _integers(text, "--hidden")


def _integers(text: str, option: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InvalidInputError(
            f"{option} must be comma-separated integers, got {text!r}"
        ) from None
    if any(not 1 <= size <= MAX_WIDTH for size in sizes):
        raise InvalidInputError(f"{option} values must be from 1 to {MAX_WIDTH:,}, got {text!r}")
    return sizes
