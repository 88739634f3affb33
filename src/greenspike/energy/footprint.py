"""The footprint of a run that cannot be measured (past, planned or published), with the sums shown.

    P_W     = devices * P_device + cpu_cores * P_core * u_cpu + memory_gb * 0.3725 W/GB
    E_kWh   = hours * P_W * PUE / 1000
    CO2e_kg = E_kWh * intensity_g_per_kwh / 1000

P_device is the average power of one device when it is known (`power_w`, as papers publish it),
else utilisation * TDP of the named model (utilisation 1.0 unless given). P_core is a CPU's TDP
per physical core. Every figure in the sums is listed with its source, the ones greenspike
assumed marked as such, and the result is labelled `estimated`. Without a country or an
intensity there is no CO2e, and the result says why: greenspike never guesses the grid.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from greenspike._summary import Column, Summary, TextTable
from greenspike._units import number
from greenspike.energy.carbon import NO_INTENSITY_NOTE, carbon_intensity
from greenspike.energy.equivalents import Equivalent, equivalents
from greenspike.energy.pue import power_usage_effectiveness
from greenspike.energy.tdp import (
    MEMORY_POWER_SOURCE,
    MEMORY_POWER_W_PER_GB,
    Hardware,
    find_hardware,
)
from greenspike.errors import InvalidInputError

GIVEN = "given by the user"


@dataclass(frozen=True)
class Assumption:
    """One figure used in the sums, and where it came from ("given by the user" or a source)."""

    name: str
    value: float
    unit: str
    source: str

    def to_dict(self) -> dict:
        """The fields as a dict of JSON-serialisable values."""
        return asdict(self)


@dataclass(frozen=True)
class FootprintEstimate:
    """Energy and CO2e of a run, estimated from its hardware, size and duration.

    `device_power_w` is per device; `cpu_power_w` and `memory_power_w` are for the whole run.
    `co2e_kg` is None when no carbon intensity was given, and `co2e_note` then says why.
    """

    inputs: dict[str, Any]
    hardware: Hardware | None
    devices: int
    duration_h: float
    method: str
    device_power_w: float
    cpu_power_w: float
    memory_power_w: float
    pue: float
    energy_kwh: float
    intensity_g_per_kwh: float | None
    co2e_kg: float | None
    co2e_note: str | None
    assumptions: tuple[Assumption, ...]
    formula: tuple[str, ...]
    equivalents: tuple[Equivalent, ...] = ()
    provenance: str = field(default="estimated", init=False)

    @property
    def power_w(self) -> float:
        """IT power of the whole run: devices, CPU and memory, before the PUE."""
        return self.devices * self.device_power_w + self.cpu_power_w + self.memory_power_w

    @property
    def energy_mwh(self) -> float:
        """`energy_kwh` in MWh."""
        return self.energy_kwh / 1000

    @property
    def co2e_t(self) -> float | None:
        """`co2e_kg` in tonnes; None without a carbon intensity."""
        return None if self.co2e_kg is None else self.co2e_kg / 1000

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython and Jupyter
        printer.text(str(self))

    def summary(self) -> Summary:
        """What `greenspike estimate` prints: each figure with its source, the sums, equivalents.

        `str()` of it (and of the estimate) is plain text; the command line draws the same
        cells as tables.
        """
        figures = TextTable.of(
            (Column("figure"), Column("value", "right"), Column("source", long=True)),
            [(a.name, _value(a), a.source) for a in self.assumptions],
        )
        energy = f"{number(self.energy_kwh)} kWh"
        if self.energy_kwh >= 1000:
            energy += f" ({number(self.energy_mwh)} MWh)"
        lines = [f"Energy: {energy}"]
        if self.co2e_kg is None:
            lines.append(f"CO2e: not estimated. {self.co2e_note}.")
        else:
            co2e = f"{number(self.co2e_kg)} kg"
            if self.co2e_t is not None and self.co2e_kg >= 1000:
                co2e += f" ({number(self.co2e_t)} t)"
            lines.append(f"CO2e: {co2e}")
        lines += [f"  {line}" for line in self.formula]
        blocks: list[TextTable | str] = [figures, *lines]
        if self.equivalents:
            blocks.append(
                TextTable.of(
                    (
                        Column("amount", "right"),
                        Column("of", long=True),
                        Column("kg CO2e each", "right"),
                        Column("source (year)", long=True),
                    ),
                    [
                        (
                            number(e.amount),
                            e.name,
                            number(e.co2e_kg_per_unit),
                            f"{e.citation} ({e.year})",
                        )
                        for e in self.equivalents
                    ],
                    title="The same CO2e as",
                )
            )
        return Summary(f"Footprint estimate ({self.provenance}: {self.method})", tuple(blocks))

    def to_dict(self) -> dict:
        """Everything above as plain JSON-ready values, plus the derived totals."""
        return {
            "provenance": self.provenance,
            "method": self.method,
            "inputs": dict(self.inputs),
            "hardware": None if self.hardware is None else _hardware_dict(self.hardware),
            "devices": self.devices,
            "duration_h": self.duration_h,
            "power_w": {
                "per_device": self.device_power_w,
                "cpu": self.cpu_power_w,
                "memory": self.memory_power_w,
                "total": self.power_w,
            },
            "pue": self.pue,
            "energy_kwh": self.energy_kwh,
            "energy_mwh": self.energy_mwh,
            "intensity_g_per_kwh": self.intensity_g_per_kwh,
            "co2e_kg": self.co2e_kg,
            "co2e_t": self.co2e_t,
            "co2e_note": self.co2e_note,
            "assumptions": [a.to_dict() for a in self.assumptions],
            "formula": list(self.formula),
            "equivalents": [e.to_dict() for e in self.equivalents],
        }


def estimate_footprint(
    hardware: str | None = None,
    *,
    devices: int = 1,
    hours: float | None = None,
    days: float | None = None,
    power_w: float | None = None,
    utilisation: float | None = None,
    cpu: str | None = None,
    cpu_cores: int | None = None,
    cpu_utilisation: float | None = None,
    memory_gb: float | None = None,
    pue: float | str | None = None,
    country: str | None = None,
    intensity_g_per_kwh: float | None = None,
) -> FootprintEstimate:
    """Estimate the energy (kWh) and CO2e (kg) of `devices` x `hardware` running for a duration.

    Args:
        hardware: a GPU, TPU or CPU model from the bundled table ("V100", "A100-SXM4-80GB",
            "TPU v3"); optional when `power_w` is given.
        devices: how many such devices ran, >= 1.
        hours: how long the devices ran (wall clock); give `hours` or `days`, not both.
        days: the same duration in days.
        power_w: average power of one device in W, when known; else `utilisation` x TDP is used.
        utilisation: fraction of the TDP drawn, in (0, 1]; default 1.0.
        cpu: a CPU model, or "any" for a generic 12 W core; None: no CPU term.
        cpu_cores: how many of its cores the whole run used (default: all cores of one chip).
        cpu_utilisation: how busy those cores were, in (0, 1]; default 1.0.
        memory_gb: DRAM of the whole run, charged at 0.3725 W/GB.
        pue: a number >= 1, a provider ("gcp", "aws", "azure", "ovhcloud", "oracle"; "unknown"
            for the industry average, 1.56) or None: 1, no data-centre overhead, said so
            (`power_usage_effectiveness`).
        country: where the electricity came from (see `carbon_intensity`); without it or
            `intensity_g_per_kwh`, no CO2e.
        intensity_g_per_kwh: the grid's carbon intensity, instead of `country`.

    Returns:
        The estimate, with every figure used, its source, and the sums as text.

    Raises:
        InvalidInputError: naming the bad value: an unknown or ambiguous hardware or CPU model;
            a duration given both or neither way, or not > 0; `devices` or `cpu_cores` not a
            whole number >= 1; a power or memory not > 0; a utilisation outside (0, 1];
            `power_w` with `utilisation`, or neither it nor `hardware`; CPU cores or
            utilisation without `cpu`; a bad PUE or carbon intensity (`power_usage_effectiveness`,
            `carbon_intensity`).
    """
    # First statement: locals() holds exactly the arguments, kept as the user gave them.
    inputs = {name: value for name, value in locals().items() if value is not None}
    _checked_count("`devices`", devices)
    duration_h, formula = _duration(hours, days)
    model = find_hardware(hardware) if hardware is not None else None
    device_w, device_term, method, assumptions = _device_power(model, devices, power_w, utilisation)
    cpu_w, cpu_term, cpu_assumptions = _cpu_power(cpu, cpu_cores, cpu_utilisation)
    memory_w, memory_term, memory_assumptions = _memory_power(memory_gb)
    facility = power_usage_effectiveness(pue)
    assumptions += cpu_assumptions + memory_assumptions
    assumptions += (Assumption("PUE", facility.value, "", facility.source),)

    energy_kwh = duration_h * (devices * device_w + cpu_w + memory_w) * facility.value / 1000
    terms = [t for t in (device_term, cpu_term, memory_term) if t]
    it_power = terms[0] if len(terms) == 1 else f"({' + '.join(terms)})"
    formula += (
        f"E = {number(duration_h)} h x {it_power} x PUE {number(facility.value)}"
        f" / 1000 = {number(energy_kwh)} kWh",
    )

    intensity = carbon_intensity(country, intensity_g_per_kwh)
    co2e_kg = None
    if intensity is not None:
        where = f" of {intensity.region}, {intensity.year}" if intensity.region else ""
        g_per_kwh = intensity.intensity_g_per_kwh
        assumptions += (
            Assumption(f"carbon intensity{where}", g_per_kwh, "gCO2e/kWh", intensity.source),
        )
        co2e_kg = energy_kwh * g_per_kwh / 1000
        formula += (
            f"CO2e = {number(energy_kwh)} kWh x {number(g_per_kwh)} g/kWh"
            f" / 1000 = {number(co2e_kg)} kg",
        )

    return FootprintEstimate(
        inputs=inputs,
        hardware=model,
        devices=devices,
        duration_h=duration_h,
        method=method,
        device_power_w=device_w,
        cpu_power_w=cpu_w,
        memory_power_w=memory_w,
        pue=facility.value,
        energy_kwh=energy_kwh,
        intensity_g_per_kwh=None if intensity is None else intensity.intensity_g_per_kwh,
        co2e_kg=co2e_kg,
        co2e_note=NO_INTENSITY_NOTE if co2e_kg is None else None,
        assumptions=assumptions,
        formula=formula,
        equivalents=() if co2e_kg is None else equivalents(co2e_kg),
    )


def _device_power(
    model: Hardware | None, devices: int, power_w: float | None, utilisation: float | None
) -> tuple[float, str, str, tuple[Assumption, ...]]:
    """Power of one device, its term in the formula, the method label, and the assumptions."""
    n = number(devices)
    if power_w is not None:
        if utilisation is not None:
            raise InvalidInputError(
                f"give the average power per device (`power_w`, {power_w:g} W) or a "
                f"utilisation of the TDP (`utilisation`, {utilisation:g}), not both"
            )
        _checked_positive("`power_w` (average power per device)", power_w, " W")
        label = "average power per device" + (f" ({model.model})" if model else "")
        return (
            float(power_w),
            f"{n} x {number(power_w)} W",
            f"average-power: {number(power_w)} W",
            (Assumption(label, float(power_w), "W", GIVEN),),
        )
    if model is None:
        raise InvalidInputError(
            "name the hardware (e.g. 'V100'; greenspike estimate --list-hardware lists them) "
            "or give the average power per device (`power_w`)"
        )
    if utilisation is None:
        used, source = 1.0, "assumed: full TDP for the whole run (no utilisation or power given)"
    else:
        used, source = _checked_fraction("`utilisation`", utilisation), GIVEN
    return (
        used * model.tdp_w,
        f"{n} x {number(used)} x {number(model.tdp_w)} W",
        f"tdp-utilisation: {number(model.tdp_w)} W x {number(used * 100)} %",
        (
            Assumption(f"TDP of {model.model}", model.tdp_w, "W", model.source),
            Assumption("utilisation of the TDP", used, "fraction", source),
        ),
    )


def _cpu_power(
    cpu: str | None, cores: int | None, utilisation: float | None
) -> tuple[float, str, tuple[Assumption, ...]]:
    """Power of the CPU cores the run used, its term in the formula, and the assumptions."""
    if cpu is None:
        if cores is not None or utilisation is not None:
            raise InvalidInputError(
                "`cpu_cores` and `cpu_utilisation` need the CPU model (`cpu`: a model, or "
                "'any' for a generic 12 W core)"
            )
        return 0.0, "", ()
    try:
        model = find_hardware(cpu, kind="cpu")
    except ValueError as error:
        raise InvalidInputError(
            f"{error} For a CPU not listed, give 'any' as the CPU (`cpu`): 12 W per core."
        ) from None
    if cores is None:
        cores, cores_source = model.cores or 1, f"assumed: all cores of one {model.model}"
    else:
        cores_source = GIVEN
        _checked_count("`cpu_cores`", cores)
    if utilisation is None:
        used, used_source = 1.0, "assumed: cores fully busy (no CPU utilisation given)"
    else:
        used, used_source = _checked_fraction("`cpu_utilisation`", utilisation), GIVEN
    per_core = model.tdp_per_core_w
    term = f"{number(cores)} cores x {number(per_core)} W x {number(used)}"
    return (
        cores * per_core * used,
        term,
        (
            Assumption(f"TDP per core of {model.model}", per_core, "W", model.source),
            Assumption("CPU cores used", cores, "cores", cores_source),
            Assumption("CPU utilisation", used, "fraction", used_source),
        ),
    )


def _memory_power(memory_gb: float | None) -> tuple[float, str, tuple[Assumption, ...]]:
    if memory_gb is None:
        return 0.0, "", ()
    _checked_positive("`memory_gb`", memory_gb, " GB")
    return (
        memory_gb * MEMORY_POWER_W_PER_GB,
        f"{number(memory_gb)} GB x {MEMORY_POWER_W_PER_GB} W/GB",
        (
            Assumption("memory", float(memory_gb), "GB", GIVEN),
            Assumption("DRAM power per GB", MEMORY_POWER_W_PER_GB, "W/GB", MEMORY_POWER_SOURCE),
        ),
    )


def _duration(hours: float | None, days: float | None) -> tuple[float, tuple[str, ...]]:
    """Hours of the run, and the conversion line for the formula when given in days."""
    if (hours is None) == (days is None):
        given = "both" if hours is not None else "neither"
        raise InvalidInputError(
            f"give the duration in `hours` or in `days`, exactly one (got {given})"
        )
    if days is not None:
        _checked_positive("`days`", days, "")
        hours = days * 24
        return hours, (f"t = {number(days)} d x 24 h/d = {number(hours)} h",)
    assert hours is not None
    return _checked_positive("`hours`", hours, ""), ()


def _checked_positive(name: str, value: float, unit: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not (math.isfinite(value) and value > 0)
    ):
        raise InvalidInputError(f"{name} must be a finite number > 0{unit}, got {value!r}")
    return float(value)


def _checked_fraction(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise InvalidInputError(
            f"{name} must be a fraction in (0, 1] (1 = always at TDP), got {value!r}"
        )
    return float(value)


def _checked_count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{name} must be a whole number >= 1, got {value!r}")
    return value


def _value(assumption: Assumption) -> str:
    """An assumption's value with its unit; a fraction as a percentage."""
    if assumption.unit == "fraction":
        return f"{number(assumption.value * 100)} %"
    return f"{number(assumption.value)} {assumption.unit}".strip()


def _hardware_dict(hardware: Hardware) -> dict:
    return {
        "model": hardware.model,
        "kind": hardware.kind,
        "tdp_w": hardware.tdp_w,
        "cores": hardware.cores,
        "source": hardware.source,
    }
