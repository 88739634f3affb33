"""Exact conversions between greenspike's per-step parameters and NIR's continuous ones.

NIR states neurons in continuous time, e.g. the LIF `tau dv/dt = (v_leak - v) + r I`. One
forward-Euler step of length `dt` gives

    v[t] = (1 - dt / tau) v[t-1] + (dt / tau) v_leak + (dt r / tau) I[t]

so greenspike's `v[t] = beta v[t-1] + x[t]` is the NIR LIF with `tau = dt / (1 - beta)`,
`r = tau / dt = 1 / (1 - beta)` (unit input gain `dt r / tau = 1`) and `v_leak = 0`: the two
membranes are equal, in the same units, at every step. Read back, a NIR neuron with input gain
`g = dt r / tau != 1` becomes a greenspike neuron whose membrane is `v / g` and whose threshold
is `v_threshold / g`: the same spikes. Computed in float64, so that a float32 `beta` survives
`beta -> tau -> beta` unchanged (for `beta = 0` and `beta >= 1e-6`; below that the last bit may
differ).
"""

from __future__ import annotations

import numpy as np

from greenspike.errors import InvalidInputError

# The time step of an export when none is given: snnTorch 1.0's importer assumes it.
DEFAULT_DT = 1e-4


def decay_to_tau(decay: np.ndarray, dt: float) -> np.ndarray:
    """`tau = dt / (1 - decay)` in seconds, for a decay per step in [0, 1)."""
    return dt / (1 - np.asarray(decay, dtype=np.float64))


def tau_to_decay(tau: np.ndarray, dt: float) -> np.ndarray:
    """`decay = 1 - dt / tau`, the fraction kept per step of `tau dv/dt = -v` (Euler, `dt`)."""
    return 1 - dt / np.asarray(tau, dtype=np.float64)


def input_gain(tau: np.ndarray, r: np.ndarray, dt: float) -> np.ndarray:
    """`dt r / tau`, the factor NIR's leaky neurons apply to their input at each step."""
    return dt * np.asarray(r, dtype=np.float64) / np.asarray(tau, dtype=np.float64)


def checked_dt(dt: float) -> float:
    """The time step `dt` as a float, checked to be a finite number of seconds > 0.

    Raises:
        InvalidInputError: `dt` is not a number (a bool is not), not finite, or not > 0.
    """
    if isinstance(dt, bool) or not isinstance(dt, (int, float, np.floating)):
        raise InvalidInputError(f"dt must be a time step in seconds (a number > 0), got {dt!r}")
    if not np.isfinite(dt) or dt <= 0:
        raise InvalidInputError(f"dt must be a finite time step in seconds, > 0, got {dt!r}")
    return float(dt)
