"""What the search may try: conventional and spiking networks, their shape and training.

One candidate is a point of this space, drawn by an Optuna trial:

    network    relu | spiking           (the two twins of `greenspike.train.build_pair`)
    model      mlp | cnn
    depth      hidden layers, min_depth..max_depth
    width      units (mlp) or channels (cnn) of every hidden layer, log-uniform
    lr         Adam learning rate, log-uniform
    spiking only: steps (time steps per image), beta (membrane decay per step),
                  threshold (firing threshold), encoding (direct | rate | latency; "events"
                  with `steps` fixed for event data, see `SearchConfig.searched_space`), and,
                  when the space has a range for it, rate_penalty (weight of an activity
                  penalty on the spikes, `greenspike.snn.RatePenalty`, log-uniform: L1, or with
                  the space's fixed target_rate, a per-layer bound on the firing rate)
"""

from __future__ import annotations

from dataclasses import dataclass

from greenspike.errors import InvalidInputError
from greenspike.snn.activity import check_rate_penalty
from greenspike.train.models import ENCODINGS, EVENTS, MODELS

NETWORKS = ("relu", "spiking")
# The most hidden layers a candidate may have: deeper, a dense network of this size no longer
# trains, and the bound keeps a typo (10**20) from reaching Optuna and torch.
MAX_DEPTH = 64


@dataclass(frozen=True)
class SearchSpace:
    """Ranges of the search (inclusive); tuples are the categorical choices.

    `rate_penalty` None: spiking candidates train without an activity penalty. `target_rate`
    (spikes per neuron per step, with a `rate_penalty` range only) makes the searched penalty
    a per-layer target rate instead of L1; it is not searched. `learn_beta` and
    `learn_threshold` are not searched: every spiking candidate learns them, or none.
    """

    networks: tuple[str, ...] = NETWORKS
    models: tuple[str, ...] = ("mlp",)
    max_depth: int = 2
    width: tuple[int, int] = (8, 128)
    lr: tuple[float, float] = (1e-3, 3e-2)
    steps: tuple[int, int] = (2, 12)
    beta: tuple[float, float] = (0.5, 0.99)
    threshold: tuple[float, float] = (0.5, 2.0)
    encodings: tuple[str, ...] = ENCODINGS
    min_depth: int = 1
    rate_penalty: tuple[float, float] | None = None
    target_rate: float | None = None
    learn_beta: bool = False
    learn_threshold: bool = False

    def check(self) -> None:
        """Check every range and choice.

        Raises:
            InvalidInputError: naming the first bad range or choice and what is valid: an
                empty or unknown network, model or encoding; a max depth that is not an
                integer from 1 to MAX_DEPTH; a range whose low end is above its high end or
                outside its limits; a target rate outside [0, 1), or without a rate penalty
                range.
        """
        _check_choices("network", self.networks, NETWORKS)
        _check_choices("model", self.models, MODELS)
        _check_choices("encoding", self.encodings, (*ENCODINGS, EVENTS))
        if not isinstance(self.max_depth, int) or not 1 <= self.max_depth <= MAX_DEPTH:
            raise InvalidInputError(
                f"`max_depth` must be an integer from 1 to {MAX_DEPTH}, got {self.max_depth!r}"
            )
        if not isinstance(self.min_depth, int) or not 1 <= self.min_depth <= self.max_depth:
            raise InvalidInputError(
                f"min depth must be an integer in 1..max depth ({self.max_depth}), "
                f"got {self.min_depth!r}"
            )
        if self.rate_penalty is not None:
            _check_range("rate penalty", self.rate_penalty, 0, open_low=True)
        if self.target_rate is not None:
            if self.rate_penalty is None:
                raise InvalidInputError(
                    "a target rate needs a rate penalty range to search its weight "
                    "(e.g. rate penalty 0.001,3)"
                )
            check_rate_penalty(self.rate_penalty[0], self.target_rate)
        _check_range("width", self.width, 1)
        _check_range("steps", self.steps, 1)
        _check_range("learning rate", self.lr, 0, open_low=True)
        _check_range("threshold", self.threshold, 0, open_low=True)
        _check_range("beta", self.beta, 0, high_limit=1)


@dataclass(frozen=True)
class Candidate:
    """One network to train: a point of a SearchSpace (spiking fields None for relu)."""

    network: str
    model: str
    hidden: tuple[int, ...]
    lr: float
    steps: int | None = None
    beta: float | None = None
    threshold: float | None = None
    encoding: str | None = None
    rate_penalty: float = 0.0
    target_rate: float | None = None
    learn_beta: bool = False
    learn_threshold: bool = False


def suggest(trial, space: SearchSpace) -> Candidate:
    """The candidate an Optuna trial (`optuna.trial.Trial`) draws from `space`."""
    network = trial.suggest_categorical("network", space.networks)
    model = trial.suggest_categorical("model", space.models)
    depth = trial.suggest_int("depth", space.min_depth, space.max_depth)
    width = trial.suggest_int("width", *space.width, log=True)
    lr = trial.suggest_float("lr", *space.lr, log=True)
    if network == "relu":
        return Candidate(network, model, (width,) * depth, lr)
    return Candidate(
        network,
        model,
        (width,) * depth,
        lr,
        steps=trial.suggest_int("steps", *space.steps),
        beta=trial.suggest_float("beta", *space.beta),
        threshold=trial.suggest_float("threshold", *space.threshold),
        encoding=trial.suggest_categorical("encoding", space.encodings),
        rate_penalty=0.0
        if space.rate_penalty is None
        else trial.suggest_float("rate_penalty", *space.rate_penalty, log=True),
        target_rate=space.target_rate,
        learn_beta=space.learn_beta,
        learn_threshold=space.learn_threshold,
    )


def build(
    candidate: Candidate, image_shape: tuple[int, ...], classes: int, *, events: bool = False
):
    """The candidate's network, a `torch.nn.Module`, built by `greenspike.train.build_pair`.

    `events`: the data are event frames (`image_shape` one frame): the ReLU network takes
    their event-count image, the spiking one the frames.

    Raises:
        InvalidInputError: the candidate does not fit the images (see `build_pair`).
    """
    from greenspike.train.models import BETA, EVENTS, build_pair

    relu, spiking = build_pair(
        candidate.model,
        image_shape,
        classes,
        candidate.hidden,
        candidate.steps or 1,
        EVENTS if events else candidate.encoding or "direct",
        beta=BETA if candidate.beta is None else candidate.beta,
        threshold=candidate.threshold or 1.0,
        learn_beta=candidate.learn_beta,
        learn_threshold=candidate.learn_threshold,
    )
    return relu if candidate.network == "relu" else spiking


def _check_choices(what: str, chosen: tuple[str, ...], valid: tuple[str, ...]) -> None:
    if not chosen:
        raise InvalidInputError(f"choose at least one {what}: {', '.join(valid)}")
    for choice in chosen:
        if choice not in valid:
            raise InvalidInputError(f"unknown {what} {choice!r}: use one of {', '.join(valid)}")


def _check_range(what, bounds, low_limit, *, open_low=False, high_limit=None) -> None:
    low, high = bounds
    too_low = low <= low_limit if open_low else low < low_limit
    if too_low or low > high or (high_limit is not None and high > high_limit):
        limit = f"> {low_limit}" if open_low else f">= {low_limit}"
        if high_limit is not None:
            limit += f" and <= {high_limit}"
        raise InvalidInputError(
            f"{what} range must be low <= high, both {limit}; got {low}..{high}"
        )
