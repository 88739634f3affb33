"""What a search is asked to do: data, objectives, budgets, storage and workers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from greenspike.errors import InvalidInputError
from greenspike.search.space import SearchSpace
from greenspike.train.config import check_carbon, check_device
from greenspike.train.datasets import EVENT_SOURCES
from greenspike.train.models import EVENTS

if TYPE_CHECKING:
    from greenspike.cost import HardwareProfile

Direction = Literal["minimize", "maximize"]
# Objective name -> the direction Optuna optimises it in.
OBJECTIVES: dict[str, Direction] = {
    "accuracy": "maximize",  # validation accuracy after the last epoch (0..1)
    "inference-energy": "minimize",  # joules per inference on hardware[0] (greenspike.cost)
    "training-energy": "minimize",  # joules of the trial's training window
}
SAMPLERS = ("tpe", "nsga2")
DEFAULT_STUDY = "greenspike-search"


@dataclass(frozen=True)
class SearchConfig:
    """A study: `trials` candidates from `space`, each trained `epochs` epochs on `dataset`.

    - objectives: names from OBJECTIVES; two or more make a multi-objective study whose result
      is a Pareto front.
    - energy_budget_kj / time_budget_min: stop starting trials once the trials of the study have
      used that much energy (all workers together) / once this invocation ran that long.
    - storage: an Optuna RDB URL (sqlite:///file.db, postgresql+psycopg://...); None: a SQLite
      file in `out`. `study` names the study in it; an existing study is resumed.
    - workers: local processes that share the study.
    - ledger: where every trial's run is kept ("default": $GREENSPIKE_LEDGER or the user's
      file; a path or URL, e.g. postgresql+psycopg://... shared by machines; None: not kept).
    - hardware: `greenspike.cost` profiles or deployments (`loihi+host=cmos7-int8`) each
      trial's inference energy is priced on, the network quantized to each one's precision;
      the "inference-energy" objective uses the first, which must price every kind of
      operation, and the "accuracy" objective is the validation accuracy at its precision.
    - hardware_file: a CSV of user profiles that `hardware` may name.
    - validation: fraction of the train images held out to score trials (test images are only
      reported, never used to choose).
    - device: where trials train, "cpu" or "cuda".
    - steps: the time steps an event data set (nmnist, shd) is binned into, once, for every
      trial: the spiking candidates of an event data set take its frames as input spikes
      (encoding "events", `steps` fixed), the ReLU ones their event-count images.
    - country, intensity_g_per_kwh, pue: as for `greenspike.train.CompareConfig`, for the CO2e
      of every trial.
    """

    dataset: str = "digits"
    data_dir: str | None = None
    trials: int = 20
    objectives: tuple[str, ...] = ("accuracy", "inference-energy")
    energy_budget_kj: float | None = None
    time_budget_min: float | None = None
    storage: str | None = None
    study: str = DEFAULT_STUDY
    workers: int = 1
    epochs: int = 5
    batch_size: int = 64
    limit: int | None = None
    validation: float = 0.2
    seed: int = 0
    sampler: str = "tpe"
    prune: bool = True
    startup_trials: int = 3
    hardware: tuple[str, ...] = ("cmos45-fp32",)
    country: str | None = None
    intensity_g_per_kwh: float | None = None
    pue: float | str | None = None
    device: str = "cpu"
    steps: int = 8
    ledger: str | None = "default"
    out: str = "greenspike-search"
    hardware_file: str | None = None
    space: SearchSpace = field(default_factory=SearchSpace)

    def check(self) -> None:
        """Check every field, the search space and the hardware profiles.

        Raises:
            InvalidInputError: naming the first bad field and what is valid: no objective, or
                an unknown or repeated one; trials, workers, epochs or batch_size not an
                integer >= 1; startup_trials not an integer >= 0; a budget not > 0; a limit
                below 2; a validation fraction outside (0, 1); an unknown sampler; an empty
                study name; an event data set; a bad search space (`SearchSpace.check`); no
                hardware profile or an unknown one, a first deployment that cannot price the
                inference-energy objective, or ReLU candidates for a chip that takes spikes
                only; a hardware file that is not a valid profiles file.
            OSError: the hardware file cannot be read.
        """
        if not self.objectives:
            raise InvalidInputError(f"give at least one objective: {', '.join(OBJECTIVES)}")
        for name in self.objectives:
            if name not in OBJECTIVES:
                raise InvalidInputError(
                    f"unknown objective {name!r}: use one of {', '.join(OBJECTIVES)}"
                )
        if len(set(self.objectives)) != len(self.objectives):
            raise InvalidInputError(f"objectives repeat: {','.join(self.objectives)}")
        for name in ("trials", "workers", "epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"`{name}` must be an integer >= 1, got {value!r}")
        if isinstance(self.startup_trials, bool) or not (
            isinstance(self.startup_trials, int) and self.startup_trials >= 0
        ):
            raise InvalidInputError(
                f"`startup_trials` must be an integer >= 0, got {self.startup_trials!r}"
            )
        for name, unit in (("energy_budget_kj", "kJ"), ("time_budget_min", "min")):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise InvalidInputError(f"`{name}` must be a number of {unit} > 0, got {value!r}")
        if self.limit is not None and self.limit < 2:
            raise InvalidInputError(f"`limit` must be >= 2 train images, got {self.limit!r}")
        if not 0 < self.validation < 1:
            raise InvalidInputError(
                f"`validation` must be a fraction in (0, 1), got {self.validation!r}"
            )
        if self.sampler not in SAMPLERS:
            raise InvalidInputError(
                f"unknown `sampler` {self.sampler!r}: use one of {', '.join(SAMPLERS)}"
            )
        if not self.study.strip():
            raise InvalidInputError("the study needs a non-empty name")
        self._check_dataset()
        self.searched_space.check()
        self._check_hardware()
        check_device(self.device)
        check_carbon(self.country, self.intensity_g_per_kwh, self.pue)

    @property
    def events(self) -> bool:
        """Whether the data set is event data (nmnist, shd), binned into `steps` frames."""
        return self.dataset in EVENT_SOURCES

    @property
    def searched_space(self) -> SearchSpace:
        """The space searched: `space`, with encoding "events" and `steps` for event data."""
        if not self.events:
            return self.space
        return replace(self.space, encodings=(EVENTS,), steps=(self.steps, self.steps))

    def _check_dataset(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise InvalidInputError(f"`steps` must be an integer >= 1, got {self.steps!r}")
        if EVENTS in self.space.encodings:
            raise InvalidInputError(
                f"encoding {EVENTS!r} comes with the event data sets "
                f"({', '.join(EVENT_SOURCES)}), it is not searched: leave it out of the space"
            )
        source = EVENT_SOURCES.get(self.dataset)
        if source is not None and "cnn" in self.space.models and len(source.frame_shape) == 1:
            raise InvalidInputError(
                f"{self.dataset} frames are 1-D ({source.frame_shape[0]} channels), the cnn "
                "needs 2-D ones: search `models` mlp only"
            )

    def profiles(self) -> dict[str, HardwareProfile]:
        """The profiles `hardware` may name: bundled, and `hardware_file`'s.

        Raises:
            OSError: `hardware_file` cannot be read.
            InvalidInputError: it is not a valid profiles file.
        """
        from greenspike.cost import profile_table

        return profile_table(self.hardware_file)

    def _check_hardware(self) -> None:
        from greenspike.cost import deployment

        if not self.hardware:
            raise InvalidInputError("give at least one hardware profile, e.g. cmos45-fp32")
        table = self.profiles()
        first, *_ = [deployment(name, table) for name in self.hardware]
        if "inference-energy" not in self.objectives:
            return
        chip = first.chip
        multiplier = chip if chip.mac_pj is not None else first.host
        lacking = [
            what
            for what, figure in (
                ("multiply-accumulates", None if multiplier is None else multiplier.mac_pj),
                ("accumulates", chip.ac_pj),
                ("neuron updates", chip.neuron_update_pj),
            )
            if figure is None
        ]
        if lacking:
            raise InvalidInputError(
                f"the inference-energy objective is priced on {first.name!r}, which has no "
                f"figure for {', '.join(lacking)}: put a profile that prices every operation "
                "(e.g. cmos45-fp32) first in hardware, or give a spikes-only chip a host "
                "(e.g. loihi+host=cmos7-int8)"
            )
        if chip.mac_pj is None and "relu" in self.space.networks:
            raise InvalidInputError(
                f"{chip.name} takes spikes only: a ReLU network's hidden layers multiply, so "
                f"the inference-energy objective on {first.name!r} cannot price ReLU "
                "candidates; search spiking networks only (--networks spiking)"
            )

    @property
    def directions(self) -> list[Direction]:
        """The direction Optuna optimises each objective in, in the order of `objectives`."""
        return [OBJECTIVES[name] for name in self.objectives]
