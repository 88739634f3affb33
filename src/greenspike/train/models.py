"""A conventional network and its spiking twin with identical layer shapes.

Both take images `[B, H, W]` in [0, 1]. The conventional model returns logits `[B, classes]`;
the spiking twin encodes the images into `steps` time steps, runs the same Linear/Conv layers
with LIF neurons in place of ReLU, and returns the readout membrane `[T, B, classes]` of leaky
integrators (one per class), trained with the cross-entropy of the membrane at every step.
With direct encoding (the pixels as a constant current) the first layer runs once and its
output is repeated over the steps: the same result as running it at every step, for 1/T of
the work.

Event data (encoding "events") comes already binned into binary frames `[B, T, ...]`: the
spiking twin takes them as its input spikes, one frame per step; the conventional model takes
the event-count image, the frames averaged over time (the share of bins with an event, in
[0, 1]). Frames `[C, H, W]` (e.g. N-MNIST's 2 polarities) give the cnn C input channels.

    mlp: Flatten -> [Linear(h_i) -> ReLU | LIF]* -> Linear(classes)
    cnn: [Conv3x3(c_i, pad 1) -> MaxPool2 -> ReLU | LIF]* -> Flatten -> Linear(classes)
"""

from __future__ import annotations

import math
from itertools import pairwise

import torch
from torch import nn

from greenspike.errors import InvalidInputError
from greenspike.snn import LIF, LeakyIntegrator, encode
from greenspike.snn.kernels.pool import max_pool2x2

MODELS = ("mlp", "cnn")
ENCODINGS = ("direct", "rate", "latency")  # of images
EVENTS = "events"  # the encoding of event data: already spikes
BETA = 0.9  # membrane decay per step of the LIF neurons and of the readout


class OverTime(nn.Module):
    """Applies a stateless layer to every time step of `[T, B, ...]` at once."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The layer on `x` `[T, B, ...]`, time folded into the batch: `[T, B, ...]` out."""
        out = self.layer(x.flatten(0, 1))
        return out.unflatten(0, x.shape[:2])


class Encoder(nn.Module):
    """Images `[B, ...]` -> the spiking network's input `[T, B, ...]`, T = `steps`.

    Encodings: "direct", the pixel values as a constant current; "rate", Bernoulli spikes;
    "latency", one spike per pixel, the brighter the earlier. Direct encoding repeats whatever
    it is given, so it also repeats a first layer's output. Event frames `[B, T, ...]`
    ("events") are already spikes: only made time-first and float.

    Raises:
        InvalidInputError: an unknown encoding, or `steps` not an integer >= 1.
    """

    def __init__(self, encoding: str, steps: int):
        super().__init__()
        check_encoding(encoding)
        check_steps(steps)
        self.encoding, self.steps = encoding, steps

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Encode `images` (or event frames) as `[T, B, ...]`.

        Raises:
            InvalidInputError: event frames that are not `[B, steps, ...]`, or images outside
                [0, 1] for the rate and latency encodings.
        """
        if self.encoding == EVENTS:
            if images.dim() < 3 or images.shape[1] != self.steps:
                raise InvalidInputError(
                    f"event frames must be [B, {self.steps}, ...] for {self.steps} steps, "
                    f"got {list(images.shape)}"
                )
            return images.transpose(0, 1).float()
        if self.encoding == "rate":
            return encode.rate(images, self.steps)
        if self.encoding == "latency":
            return encode.latency(images, self.steps)
        return images.unsqueeze(0).expand(self.steps, *images.shape)

    def extra_repr(self) -> str:
        """The encoding and the number of steps, for the module's repr."""
        return f"encoding={self.encoding!r}, steps={self.steps}"


def build_pair(
    model: str,
    image_shape: tuple[int, ...],
    classes: int,
    hidden: tuple[int, ...],
    steps: int,
    encoding: str,
    *,
    beta: float = BETA,
    threshold: float = 1.0,
    learn_beta: bool = False,
    learn_threshold: bool = False,
) -> tuple[nn.Module, nn.Module]:
    """The (conventional, spiking) twin networks for `model`, with identical layer shapes.

    Args:
        model: "mlp" or "cnn".
        image_shape: (H, W) of an image, or with encoding "events" the shape of one frame
            ((C, H, W) or (N,)).
        classes: the number of outputs.
        hidden: the hidden layer widths (mlp) or channel counts (cnn).
        steps: time steps of the spiking twin.
        encoding: "direct", "rate", "latency" (images) or "events" (event frames).
        beta: the decay per step of the spiking twin's hidden LIF neurons and its readout.
        threshold: the firing threshold of its hidden LIF neurons.
        learn_beta: train the decay of each hidden LIF layer (one value per layer, clamped to
            [0, 1]); the readout's stays fixed.
        learn_threshold: train the threshold of each hidden LIF layer (one value per layer,
            kept above 0).

    Raises:
        InvalidInputError: an unknown model or encoding; `hidden` empty or not positive
            integers; `steps` not an integer >= 1; a cnn on 1-D inputs, or with more conv
            layers than halve the images to 1 pixel; `beta` or `threshold` out of range.
    """
    check_model(model)
    check_encoding(encoding)
    if not hidden or any(not isinstance(h, int) or h < 1 for h in hidden):
        raise InvalidInputError(f"hidden sizes must be positive integers, got {list(hidden)}")
    synapses = _mlp_synapses if model == "mlp" else _cnn_synapses
    add_channel = _AddChannel if len(image_shape) == 2 else nn.Identity  # frames have channels
    front = nn.Flatten if model == "mlp" else add_channel
    ann_layers, ann_readout = synapses(image_shape, classes, hidden)
    snn_layers, snn_readout = synapses(image_shape, classes, hidden)  # its own initialisation
    ann: list[nn.Module] = [EventCounts(), front()] if encoding == EVENTS else [front()]
    for ann_layer in ann_layers:
        ann += [*ann_layer, nn.ReLU()]

    def lif() -> LIF:
        return LIF(
            beta=beta, threshold=threshold, learn_beta=learn_beta, learn_threshold=learn_threshold
        )

    if encoding == "direct":
        # A constant input gives the first layer the same output at every step: compute it
        # once and repeat its output, as an efficient implementation would (and gs.cost counts).
        snn: list[nn.Module] = [front(), *snn_layers[0], Encoder(encoding, steps), lif()]
        snn_layers = snn_layers[1:]
    else:
        snn = [Encoder(encoding, steps), OverTime(front())]
    for snn_layer in snn_layers:
        snn += [OverTime(nn.Sequential(*snn_layer)), lif()]
    ann += [nn.Flatten(), ann_readout]
    snn += [OverTime(nn.Flatten()), OverTime(snn_readout), LeakyIntegrator(beta=beta)]
    return nn.Sequential(*ann), nn.Sequential(*snn)


class MaxPool2x2(nn.MaxPool2d):
    """`nn.MaxPool2d(2)`, the same values and gradients, on the CPU in one pass each way.

    PyTorch's own pool is slow on the CPU, and the spiking twin pools all T steps at once:
    `greenspike.snn.kernels.pool.max_pool2x2` says how and when its kernel runs instead.
    """

    def __init__(self) -> None:
        super().__init__(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The 2x2 max pool with stride 2 of `x` `[B, C, H, W]` (or `[C, H, W]`)."""
        settings = (self.kernel_size, self.stride, self.padding, self.dilation)
        if settings != (2, 2, 0, 1) or self.ceil_mode or self.return_indices:  # changed since
            return super().forward(x)
        return max_pool2x2(x)


class EventCounts(nn.Module):
    """Binary event frames `[B, T, ...]` -> the share of the T bins with an event `[B, ...]`."""

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """The mean of `frames` `[B, T, ...]` over time, as float."""
        return frames.float().mean(1)


class _AddChannel(nn.Module):
    """`[B, H, W]` -> `[B, 1, H, W]`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`x` with a channel dimension of 1 added after the batch."""
        return x.unsqueeze(1)


def _mlp_synapses(image_shape, classes, hidden):
    sizes = [math.prod(image_shape), *hidden]
    layers = [[nn.Linear(a, b)] for a, b in pairwise(sizes)]
    return layers, nn.Linear(sizes[-1], classes)


def _cnn_synapses(image_shape, classes, hidden):
    if len(image_shape) not in (2, 3):
        raise InvalidInputError(
            f"cnn needs images or frames [C, H, W], got 1-D inputs of {image_shape[0]} "
            "channels (e.g. shd): use --model mlp"
        )
    *channel, height, width = image_shape
    channels = [*(channel or [1]), *hidden]
    layers = []
    for a, b in pairwise(channels):
        if height < 2 or width < 2:
            raise InvalidInputError(
                f"{len(hidden)} conv layers halve {image_shape[-2]}x{image_shape[-1]} images "
                "below 1 pixel: use fewer --hidden channels"
            )
        layers.append([nn.Conv2d(a, b, 3, padding=1), MaxPool2x2()])
        height, width = height // 2, width // 2
    return layers, nn.Linear(channels[-1] * height * width, classes)


def check_model(model: str) -> None:
    """Check that `model` is one of `MODELS`.

    Raises:
        InvalidInputError: an unknown model.
    """
    if model not in MODELS:
        raise InvalidInputError(f"unknown model {model!r}: use one of {', '.join(MODELS)}")


def check_encoding(encoding: str) -> None:
    """Check that `encoding` is one of `ENCODINGS`, or "events".

    Raises:
        InvalidInputError: an unknown encoding.
    """
    if encoding not in (*ENCODINGS, EVENTS):
        raise InvalidInputError(
            f"unknown encoding {encoding!r}: use one of {', '.join(ENCODINGS)} (images) "
            f"or {EVENTS} (event data sets)"
        )


def check_steps(steps: int) -> None:
    """Check that `steps` is an integer >= 1.

    Raises:
        InvalidInputError: `steps` is not an integer >= 1.
    """
    if not isinstance(steps, int) or steps < 1:
        raise InvalidInputError(f"`steps` must be an integer >= 1, got {steps!r}")
