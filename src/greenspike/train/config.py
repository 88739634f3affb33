"""What `greenspike compare` compares: the data set, the network family and the shared budget."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch

from greenspike.errors import InvalidInputError
from greenspike.train.datasets import EVENT_SOURCES
from greenspike.train.inference import DEFAULT_HARDWARE, check_hardware
from greenspike.train.models import EVENTS, check_encoding, check_model, check_steps

Device = Literal["cpu", "cuda"]
DEVICES: tuple[Device, ...] = ("cpu", "cuda")
# The spiking networks compared with the ReLU twin: the spiking twin trained as such, the ReLU
# twin converted after its training, or both.
Spiking = Literal["twin", "convert", "both"]
SPIKING: tuple[Spiking, ...] = ("twin", "convert", "both")
CURVE_STEPS = (8, 16, 32, 64, 128)


@dataclass(frozen=True)
class CompareConfig:
    """A comparison: both twins trained on `dataset` with the same budget, then priced.

    Args:
        dataset: a name of `greenspike.train.DATASETS`.
        model: "mlp" or "cnn".
        hidden: widths (mlp) or channels (cnn) of the hidden layers.
        epochs: training epochs, the same for both networks.
        steps: time steps per image of the spiking twin.
        encoding: "direct", "rate" or "latency" for images, "events" for event data sets;
            None: "events" for event data sets, else "direct".
        batch_size: minibatch size.
        lr: Adam's learning rate.
        seed: seed of initialisation, data order and spikes.
        device: "cpu" or "cuda".
        data_dir: where the files of mnist, fashion-mnist, nmnist or shd are.
        country: where the electricity comes from, for the CO2e of training.
        limit: train on the first `limit` train images only (quick runs).
        hardware: `greenspike.cost` profiles the energy per inference is priced on.
        spiking: "twin" (the spiking twin, trained), "convert" (the ReLU twin converted to
            spiking neurons after its training: `greenspike.convert`) or "both".
        curve_steps: the time steps at which the converted network's accuracy and energy per
            inference are also measured (its accuracy-versus-steps curve), with `steps`.
    """

    dataset: str = "digits"
    model: str = "mlp"
    hidden: tuple[int, ...] = (128,)
    epochs: int = 20
    steps: int = 8
    encoding: str | None = None
    batch_size: int = 64
    lr: float = 2e-3
    seed: int = 0
    device: str = "cpu"
    data_dir: str | None = None
    country: str | None = None
    limit: int | None = None
    hardware: tuple[str, ...] = DEFAULT_HARDWARE
    spiking: Spiking = "twin"
    curve_steps: tuple[int, ...] = CURVE_STEPS

    def __post_init__(self) -> None:
        if self.encoding is None:
            events = self.dataset in EVENT_SOURCES
            object.__setattr__(self, "encoding", EVENTS if events else "direct")

    @property
    def networks(self) -> tuple[str, ...]:
        """The networks compared, in the order they run: "relu", "spiking", "converted"."""
        twin = ("spiking",) if self.spiking != "convert" else ()
        converted = ("converted",) if self.spiking != "twin" else ()
        return ("relu", *twin, *converted)

    @property
    def steps_curve(self) -> tuple[int, ...]:
        """The converted network's curve: `curve_steps` and `steps`, sorted, each once."""
        return tuple(sorted({*self.curve_steps, self.steps}))

    @property
    def resolved_encoding(self) -> str:
        """The encoding, never None once constructed."""
        assert self.encoding is not None
        return self.encoding

    def check(self) -> None:
        """Check every field.

        Raises:
            InvalidInputError: the first bad field, naming it and what would be valid.
        """
        check_model(self.model)
        check_encoding(self.resolved_encoding)
        if (self.dataset in EVENT_SOURCES) != (self.encoding == EVENTS):
            if self.encoding == EVENTS:
                raise InvalidInputError(
                    f"encoding {EVENTS!r} is for the event data sets ({', '.join(EVENT_SOURCES)}), "
                    f"not {self.dataset!r}: use direct, rate or latency"
                )
            raise InvalidInputError(
                f"{self.dataset} is event data, already spikes: use encoding {EVENTS!r} "
                f"(the default for it), not {self.encoding!r}"
            )
        source = EVENT_SOURCES.get(self.dataset)
        if self.model == "cnn" and source is not None and len(source.frame_shape) == 1:
            raise InvalidInputError(
                f"{self.dataset} frames are 1-D ({source.frame_shape[0]} channels), the cnn "
                "needs 2-D ones: use --model mlp"
            )
        check_steps(self.steps)
        self._check_spiking()
        for name in ("epochs", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise InvalidInputError(
                    f"{name} must be an integer >= 1, got {getattr(self, name)!r}"
                )
        if not self.lr > 0:
            raise InvalidInputError(f"learning rate must be > 0, got {self.lr!r}")
        if self.device not in DEVICES:
            raise InvalidInputError(
                f"unknown device {self.device!r}: use one of {', '.join(DEVICES)}"
            )
        if self.device == "cuda" and not torch.cuda.is_available():
            raise InvalidInputError("device 'cuda' asked for, but torch sees no CUDA GPU: use cpu")
        if self.limit is not None and self.limit < 1:
            raise InvalidInputError(f"limit must be >= 1 train images, got {self.limit!r}")
        check_hardware(self.hardware)

    def _check_spiking(self) -> None:
        if self.spiking not in SPIKING:
            raise InvalidInputError(
                f"unknown spiking network {self.spiking!r}: use one of {', '.join(SPIKING)}"
            )
        if self.spiking == "twin":
            return
        if self.encoding == EVENTS:
            raise InvalidInputError(
                f"spiking {self.spiking!r} converts the ReLU twin, which sees event counts, "
                f"not the events of {self.dataset}: use spiking 'twin' for event data sets"
            )
        if self.spiking == "convert" and self.encoding != "direct":
            raise InvalidInputError(
                f"a converted network is fed the image itself at every step (direct), not "
                f"encoding {self.encoding!r}: use --encoding direct with spiking 'convert' "
                "(with 'both', the encoding is the spiking twin's)"
            )
        if not self.curve_steps or any(
            isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in self.curve_steps
        ):
            raise InvalidInputError(
                f"curve steps must be integers >= 1, got {list(self.curve_steps)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (tuples as lists).

        `spiking` and `curve_steps` appear only when a converted network is compared, so that
        the results of a plain comparison keep the fields they always had.
        """
        data = {
            **asdict(self),
            "hidden": list(self.hidden),
            "hardware": list(self.hardware),
            "curve_steps": list(self.curve_steps),
        }
        if self.spiking == "twin":
            del data["spiking"], data["curve_steps"]
        return data
