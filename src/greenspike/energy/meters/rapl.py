"""CPU package and DRAM energy from Intel and AMD RAPL counters, read through Linux powercap.

Zones live in `/sys/class/powercap`: `intel-rapl:<p>` ("package-<k>", or "psys") and its
sub-zones `intel-rapl:<p>:<s>` ("core", "uncore", "dram"). Components: one per package
(`cpu:package-<k>`) and one per DRAM zone (`dram:<k>`). Core and uncore are parts of their
package and are not added again; DRAM is not part of the package. psys (the whole platform)
contains the packages and is left out, as are `intel-rapl-mmio` zones that repeat an MSR zone.

Wrap-around: `energy_uj` counts up to `max_energy_range_uj`, then restarts from 0. Between two
polls the energy is

    delta_uj = now - last                           if now >= last
             = now - last + max_energy_range_uj     otherwise (one wrap)

(the true modulus is one counter unit, at most 61 uJ, larger). Two wraps between polls look like
one, so polls must come faster than the wrap period max_energy_range_uj / power: about
65.5 kJ / 280 W = 4 minutes on a large AMD EPYC, 262 kJ / 150 W = 29 minutes on a Xeon. The
tracker polls every `interval_s` (1 s by default) and never less often than
`max_poll_interval_s`, which assumes a zone draws at most 1 kW.

A failed read (EIO, EAGAIN) leaves the counter running. The next good reading is then compared
with the last good one: if less than half the wrap period at 1 kW passed between them (the same
margin as the polls), the formula above is exact and the gap is counted. A longer gap, or a zone
whose directory vanished (the driver may have been reloaded and the counter restarted), takes
a new baseline and the gap is not counted.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from greenspike.energy.measurement import Component, MissingComponent
from greenspike.energy.meters.base import Meter, SensorGaps

POWERCAP_ROOT = Path("/sys/class/powercap")
# No CPU package or DRAM zone draws more than this (the largest server CPUs: 500 W TDP).
WRAP_SAFETY_POWER_W = 1000.0
# A counter that has not moved for this long is suspect (some hypervisors freeze it).
FROZEN_AFTER_S = 5.0

_ZONE = re.compile(r"^(?P<kind>intel-rapl(?:-mmio)?):(?P<parent>\d+)(?::(?P<sub>\d+))?$")


def counter_delta_uj(last_uj: int, now_uj: int, max_range_uj: int) -> int:
    """Microjoules between two readings of a counter that wraps at `max_range_uj`."""
    delta = now_uj - last_uj
    return delta + max_range_uj if delta < 0 else delta


def permission_fix(root: Path) -> str:
    """How to let a non-root user read the RAPL counters under `root`."""
    return (
        f"run as root, or make the counters readable until the next reboot with "
        f"`sudo chmod a+r {root}/intel-rapl:*/energy_uj`; to keep that, add the udev rule "
        '`SUBSYSTEM=="powercap", ACTION=="add", RUN+="/bin/chmod a+r /sys%p/energy_uj"` '
        "to /etc/udev/rules.d/99-rapl.rules. Linux hides them from other users against the "
        "PLATYPUS side channel (CVE-2020-8694): weigh that on a shared machine."
    )


def find_zones(root: Path, entries: frozenset[str]) -> dict[str, tuple[str, Path]]:
    """Each component's (zone name, zone directory) among the `entries` of `root`.

    Zones that would double count are left out (psys, core, uncore). MSR zones come before
    MMIO zones, so an MMIO zone that repeats a package is dropped.
    """
    zones_found = []
    for entry in entries:
        match = _ZONE.match(entry)
        if match:
            key = (match["kind"] != "intel-rapl", int(match["parent"]), int(match["sub"] or -1))
            zones_found.append((key, entry, match))
    names: dict[str, str] = {}
    for _, entry, _ in zones_found:
        try:
            names[entry] = (root / entry / "name").read_text().strip()
        except OSError:
            continue  # without a name the zone cannot be placed; it is not RAPL we know
    zones: dict[str, tuple[str, Path]] = {}
    for _, entry, match in sorted(zones_found, key=lambda e: e[0]):
        name = names.get(entry)
        parent = names.get(f"{match['kind']}:{match['parent']}", "")
        if match["sub"] is None and name and name.startswith("package-"):
            component = f"cpu:{name}"
        elif name == "dram":
            in_package = match["sub"] and parent.startswith("package-")
            package = parent.removeprefix("package-") if in_package else match["parent"]
            component = f"dram:{package}"
        else:
            continue  # psys, core, uncore: contained in, or containing, a package
        zones.setdefault(component, (name, root / entry))
    return zones


@dataclass
class _Zone:
    name: str
    path: Path
    max_range_uj: int
    last_uj: int
    total_uj: int = 0
    gaps: SensorGaps = field(default_factory=SensorGaps)
    appeared_after_s: float | None = None
    last_read_s: float = 0.0  # when `last_uj` was read, in seconds since the meter started
    restarted: bool = False  # the zone vanished: its counter may have started again from 0
    counter: Path = field(init=False)  # path / "energy_uj", joined once: read at every reading

    def __post_init__(self) -> None:
        self.counter = self.path / "energy_uj"

    def move(self, path: Path) -> None:
        """The zone is (again) under `path`: under another one, its counter may have restarted."""
        self.restarted = self.restarted or path != self.path
        self.path, self.counter = path, path / "energy_uj"

    def counts_gap(self, now_s: float) -> bool:
        """Whether the energy since the last good reading can be counted exactly.

        It can when the counter kept running (the zone never vanished) and less than half the
        wrap period at WRAP_SAFETY_POWER_W, `max_range_uj / 1e6 / WRAP_SAFETY_POWER_W / 2`
        seconds, passed: then it wrapped at most once, which `counter_delta_uj` undoes.
        """
        safe_s = self.max_range_uj / 1e6 / WRAP_SAFETY_POWER_W / 2
        return not self.restarted and now_s - self.last_read_s < safe_s

    def notes(self, elapsed_s: float) -> tuple[str, ...]:
        notes = list(self.gaps.notes())
        if self.appeared_after_s is not None:
            notes.insert(
                0,
                f"appeared {self.appeared_after_s:.1f} s into the run; "
                "energy before that not counted",
            )
        if self.total_uj == 0 and elapsed_s > FROZEN_AFTER_S:
            notes.append(
                f"the counter did not move in {elapsed_s:.0f} s: a virtual machine may expose a "
                "frozen counter, so this 0 J is probably not real"
            )
        return tuple(notes)


class RaplMeter(Meter):
    """Energy counters of CPU packages and DRAM, from `root` (a parameter so tests can fake it)."""

    name = "rapl"

    def __init__(self, root: str | os.PathLike[str] = POWERCAP_ROOT):
        self.root = Path(root)
        self._zones: dict[str, _Zone] = {}
        self._missing: dict[str, MissingComponent] = {}
        self._entries: frozenset[str] = frozenset()
        self._start = time.monotonic()

    def start(self) -> None:
        """Find the package and DRAM zones and take each counter's first reading."""
        self._zones, self._missing, self._entries = {}, {}, frozenset()
        self._start = time.monotonic()
        self._rescan(appeared_after_s=None)

    @property
    def max_poll_interval_s(self) -> float | None:
        """Half the shortest wrap period at WRAP_SAFETY_POWER_W, None without zones."""
        if not self._zones:
            return None
        shortest_j = min(zone.max_range_uj for zone in self._zones.values()) / 1e6
        return shortest_j / WRAP_SAFETY_POWER_W / 2

    def read(self) -> dict[str, float]:
        """Joules of each zone since `start()` (or since it appeared), wrap-arounds undone."""
        now_s = time.monotonic() - self._start
        self._rescan(appeared_after_s=now_s)
        for zone in self._zones.values():
            try:
                reading = _read_uj(zone.counter)
            except (OSError, ValueError) as error:
                zone.restarted = zone.restarted or isinstance(error, FileNotFoundError)
                zone.gaps.lost(now_s, error)
                continue
            counted = zone.counts_gap(now_s)
            # after a gap that could hide two wraps or a restart, the reading is a new baseline
            resumed = zone.gaps.back(now_s, counted=counted)
            delta_uj = (
                0
                if resumed and not counted
                else counter_delta_uj(zone.last_uj, reading, zone.max_range_uj)
            )
            # one statement: a KeyboardInterrupt cannot fall between the two (no double count)
            zone.total_uj, zone.last_uj = zone.total_uj + delta_uj, reading
            zone.last_read_s, zone.restarted = now_s, False
        return {component: zone.total_uj / 1e6 for component, zone in self._zones.items()}

    def components(self) -> tuple[Component, ...]:
        """One measured component per zone read, with its gaps and warnings as notes."""
        elapsed_s = time.monotonic() - self._start
        return tuple(
            Component(
                component,
                "measured",
                "energy counter",
                f"rapl:{zone.name} ({zone.path.name})",
                zone.notes(elapsed_s),
            )
            for component, zone in self._zones.items()
        )

    def missing(self) -> tuple[MissingComponent, ...]:
        """Zones found but unreadable (usually: permission denied), with the fix."""
        return tuple(self._missing.values())

    def unavailable(self) -> str | None:
        """Why there is no RAPL zone here (no powercap directory, or no zone), or None."""
        if self._zones or self._missing:
            return None
        if not self.root.is_dir():
            return (
                f"{self.root} does not exist: not Linux, the powercap RAPL driver "
                "(intel_rapl_msr) is not loaded, or a virtual machine or container hides it"
            )
        return f"no RAPL package or DRAM zone under {self.root}"

    def _rescan(self, appeared_after_s: float | None) -> None:
        """Take up zones not seen before; `appeared_after_s` is None at start."""
        try:
            entries = frozenset(os.listdir(self.root))
        except OSError:
            entries = frozenset()
        if entries == self._entries:
            return
        self._entries = entries
        for component, (name, path) in find_zones(self.root, entries).items():
            if component in self._missing:
                continue
            known = self._zones.get(component)
            if known is not None:
                known.move(path)  # a zone that vanished may come back under another number
                continue
            self._add(component, name, path, appeared_after_s)

    def _add(self, component: str, name: str, path: Path, appeared_after_s: float | None) -> None:
        try:
            max_range_uj = _read_uj(path / "max_energy_range_uj")
            reading = _read_uj(path / "energy_uj")
        except PermissionError as error:
            self._missing[component] = MissingComponent(
                component,
                f"permission denied reading {error.filename or path}: since the fix for "
                "CVE-2020-8694 (2020), Linux lets only root read RAPL energy counters",
                permission_fix(self.root),
            )
            return
        except (OSError, ValueError) as error:
            self._missing[component] = MissingComponent(
                component, f"cannot read RAPL zone {path}: {error}"
            )
            return
        self._zones[component] = _Zone(
            name,
            path,
            max_range_uj,
            reading,
            appeared_after_s=appeared_after_s,
            last_read_s=time.monotonic() - self._start,
        )


def _read_uj(path: Path) -> int:
    with open(path, "rb") as file:
        return int(file.read())
