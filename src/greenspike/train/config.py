"""What `greenspike compare` compares: the data set, the network family and the shared budget."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch

from greenspike.cost import HardwareProfile, Precision, profile_table
from greenspike.errors import InvalidInputError
from greenspike.quant import preset
from greenspike.train.datasets import EVENT_SOURCES
from greenspike.train.inference import DEFAULT_HARDWARE, DEFAULT_PAIRINGS, check_hardware
from greenspike.train.models import BETA, EVENTS, check_encoding, check_model, check_steps
from greenspike.train.spec import NetworkSpec

Device = Literal["cpu", "cuda"]
DEVICES: tuple[Device, ...] = ("cpu", "cuda")
# The spiking networks compared with the ReLU twin: the spiking twin trained as such, the ReLU
# twin converted after its training, or both.
Spiking = Literal["twin", "convert", "both"]
SPIKING: tuple[Spiking, ...] = ("twin", "convert", "both")
CURVE_STEPS = (8, 16, 32, 64, 128)
TrainedPrecision = Literal["fp32", "int8", "int4"]
PRECISIONS: tuple[TrainedPrecision, ...] = ("fp32", "int8", "int4")
QAT_EPOCHS = 3  # quantization-aware fine-tuning epochs after the float ones, by default


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
        country: where the electricity comes from, for the CO2e of training (a country,
            region or cloud region: `greenspike.energy.find_place`).
        intensity_g_per_kwh: the carbon intensity itself, instead of `country`.
        pue: the data centre's power usage effectiveness (a number >= 1 or a provider);
            None: 1, no overhead.
        limit: train on the first `limit` train images only (quick runs).
        hardware: `greenspike.cost` profiles (or deployments, `loihi+host=cmos7-int8`) both
            twins' energy per inference is priced on, each at its precision.
        precision: what is trained: "fp32", or "int8" / "int4" (`greenspike.quant.preset`):
            `epochs` in float, then `qat_epochs` of quantization-aware fine-tuning, all in
            the measured training energy.
        qat_epochs: quantization-aware epochs (None: 0 for fp32, else QAT_EPOCHS).
        deploy: pairings (ReLU twin's deployment, spiking twin's deployment) compared side by
            side: each twin on the hardware it would run on.
        hardware_file: a CSV of user profiles (the columns of the bundled profiles.csv) that
            `hardware` and `deploy` may name.
        beta: the spiking twin's LIF decay per step (and its readout's).
        threshold: its LIF firing threshold.
        learn_beta, learn_threshold: train the decay / threshold of each hidden LIF layer.
        rate_penalty: weight of the activity penalty on the spiking twin's spikes
            (`greenspike.snn.RatePenalty`; 0: none).
        target_rate: None: the penalty is L1 on all spikes; else the per-layer firing rate
            above which a layer is penalised (needs `rate_penalty` > 0).
        spiking: "twin" (the spiking twin, trained), "convert" (the ReLU twin converted to
            spiking neurons after its training: `greenspike.convert`) or "both".
        curve_steps: the time steps at which the converted network's accuracy and energy per
            inference are also measured (its accuracy-versus-steps curve), with `steps`.
        measure_inference_s: run each twin's inference on this machine for this many seconds
            per implementation and batch size, its energy measured
            (`greenspike.train.measured_inference`); None: not measured.
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
    intensity_g_per_kwh: float | None = None
    pue: float | str | None = None
    limit: int | None = None
    hardware: tuple[str, ...] = DEFAULT_HARDWARE
    precision: str = "fp32"
    qat_epochs: int | None = None
    deploy: tuple[tuple[str, str], ...] = DEFAULT_PAIRINGS
    hardware_file: str | None = None
    beta: float = BETA
    threshold: float = 1.0
    learn_beta: bool = False
    learn_threshold: bool = False
    rate_penalty: float = 0.0
    target_rate: float | None = None
    spiking: Spiking = "twin"
    curve_steps: tuple[int, ...] = CURVE_STEPS
    measure_inference_s: float | None = None

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

    @property
    def trained_precision(self) -> Precision:
        """The precision the twins are trained at.

        Raises:
            InvalidInputError: `precision` is not fp32, int8 or int4.
        """
        return preset(self.precision)

    @property
    def resolved_qat_epochs(self) -> int:
        """The quantization-aware epochs: `qat_epochs`, or its default for the precision."""
        if self.qat_epochs is not None:
            return self.qat_epochs
        return 0 if self.precision == "fp32" else QAT_EPOCHS

    @property
    def relu_spec(self) -> NetworkSpec:
        """The ReLU twin."""
        return NetworkSpec("relu", self.model, self.hidden, self.lr)

    @property
    def spiking_spec(self) -> NetworkSpec:
        """The spiking twin: the ReLU twin's layers, with LIF neurons and time steps."""
        return NetworkSpec(
            "spiking",
            self.model,
            self.hidden,
            self.lr,
            steps=self.steps,
            encoding=self.resolved_encoding,
            beta=self.beta,
            threshold=self.threshold,
            learn_beta=self.learn_beta,
            learn_threshold=self.learn_threshold,
            rate_penalty=self.rate_penalty,
            target_rate=self.target_rate,
        )

    @property
    def converted_spec(self) -> NetworkSpec:
        """The converted ReLU twin: its layers with IF neurons (no leak), fed the image."""
        return NetworkSpec(
            "spiking",
            self.model,
            self.hidden,
            self.lr,
            steps=self.steps,
            encoding="direct",
            beta=1.0,
        )

    def profiles(self) -> dict[str, HardwareProfile]:
        """The profiles `hardware` and `deploy` may name: bundled, and `hardware_file`'s.

        Raises:
            OSError: `hardware_file` cannot be read.
            InvalidInputError: it is not a valid profiles file (`gs.cost.load_profiles`).
        """
        return profile_table(self.hardware_file)

    def check(self) -> None:
        """Check every field.

        Raises:
            InvalidInputError: the first bad field, naming it and what would be valid.
            OSError: `hardware_file` cannot be read.
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
        self.spiking_spec.check()
        self._check_spiking()
        for name in ("epochs", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise InvalidInputError(
                    f"`{name}` must be an integer >= 1, got {getattr(self, name)!r}"
                )
        if not self.lr > 0:
            raise InvalidInputError(f"`lr` (learning rate) must be > 0, got {self.lr!r}")
        check_device(self.device)
        if self.limit is not None and self.limit < 1:
            raise InvalidInputError(f"`limit` must be >= 1 train images, got {self.limit!r}")
        if self.precision not in PRECISIONS:
            raise InvalidInputError(
                f"unknown precision {self.precision!r}: use one of {', '.join(PRECISIONS)}"
            )
        if self.qat_epochs is not None:
            if isinstance(self.qat_epochs, bool) or not (
                isinstance(self.qat_epochs, int) and self.qat_epochs >= 0
            ):
                raise InvalidInputError(
                    f"`qat_epochs` must be an integer >= 0, got {self.qat_epochs!r}"
                )
            if self.precision == "fp32" and self.qat_epochs:
                raise InvalidInputError(
                    "`qat_epochs` is quantization-aware training: it needs `precision` int8 or int4"
                )
        profiles = self.profiles()
        check_hardware(self.hardware, profiles)
        for pairing in self.deploy:
            if len(pairing) != 2:
                raise InvalidInputError(
                    f"a deploy pairing is (ReLU twin's deployment, spiking twin's), got {pairing!r}"
                )
            check_hardware(tuple(pairing), profiles)
        check_carbon(self.country, self.intensity_g_per_kwh, self.pue)
        seconds = self.measure_inference_s
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0
        ):
            raise InvalidInputError(
                f"`measure_inference_s` must be a number of seconds > 0, got {seconds!r}"
            )

    def _check_spiking(self) -> None:
        if self.spiking not in SPIKING:
            raise InvalidInputError(
                f"unknown `spiking` network {self.spiking!r}: use one of {', '.join(SPIKING)}"
            )
        if self.spiking == "twin":
            return
        if self.encoding == EVENTS:
            raise InvalidInputError(
                f"`spiking` {self.spiking!r} converts the ReLU twin, which sees event counts, "
                f"not the events of {self.dataset}: use spiking 'twin' for event data sets"
            )
        if self.precision != "fp32":
            raise InvalidInputError(
                f"`spiking` {self.spiking!r} converts the float ReLU twin: use `precision` fp32 "
                f"(not {self.precision!r}); each hardware profile still prices the converted "
                "network at its own precision, with its accuracy measured there"
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
                f"`curve_steps` must be integers >= 1, got {list(self.curve_steps)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (tuples as lists, pairings as {"relu": ..., "spiking": ...}).

        `spiking` and `curve_steps` appear only when a converted network is compared, so that
        the results of a plain comparison keep the fields they always had.
        """
        data = {
            **asdict(self),
            "hidden": list(self.hidden),
            "hardware": list(self.hardware),
            "deploy": [{"relu": relu, "spiking": spiking} for relu, spiking in self.deploy],
            "curve_steps": list(self.curve_steps),
        }
        if self.spiking == "twin":
            del data["spiking"], data["curve_steps"]
        return data


def check_device(device: str) -> None:
    """Check that `device` is "cpu", or "cuda" on a machine where torch sees a GPU.

    Raises:
        InvalidInputError: an unknown device, or cuda without a GPU.
    """
    if device not in DEVICES:
        raise InvalidInputError(f"unknown `device` {device!r}: use one of {', '.join(DEVICES)}")
    if device == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError("`device` cuda asked for, but torch sees no CUDA GPU: use cpu")


def check_carbon(
    country: str | None, intensity_g_per_kwh: float | None, pue: float | str | None
) -> None:
    """Check where the electricity comes from and the PUE, as the tracker will read them.

    Raises:
        InvalidInputError: an unknown place, a bad intensity, both a place and an intensity,
            or a bad PUE (`carbon_intensity`, `power_usage_effectiveness`).
    """
    from greenspike.energy.carbon import carbon_intensity
    from greenspike.energy.pue import power_usage_effectiveness

    carbon_intensity(country, intensity_g_per_kwh)
    power_usage_effectiveness(pue)
