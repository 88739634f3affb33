"""A distributed job as one whole: its ranks' runs, with every sensor counted once.

The ranks of a job share a job id (greenspike.energy.placement). Their runs are grouped by node
(host); on each node every component is counted once:

- a node's CPU packages, DRAM, and CPU and memory estimates in machine scope, and every GPU in
  either scope, are the whole device: runs on that node that report the same component over
  overlapping times report the same energy (a rank that should not have measured it), so the
  largest figure counts and a note says so; runs one after another (a rank restarted by an
  elastic launcher) add up;
- in process scope the node's CPU and memory figures are each rank's own share: they add up.

Ranks 0 ... world_size - 1 with no run are listed as missing: their energy is not in the total
(a node whose ranks are all missing is missing entirely). CO2e adds each counted figure at its
own run's PUE and carbon intensity; it is None when any of those runs has no intensity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from greenspike.energy.measurement import J_PER_KWH, Provenance, Status
from greenspike.ledger.records import RunRecord

NODE_PREFIXES = ("cpu", "dram", "ram")


@dataclass(frozen=True)
class JobComponent:
    """A component of one node of the job, counted once.

    Attributes:
        name: "cpu:package-0", "gpu:3", "ram", ...
        provenance, method, source: as the run that measured it reports them.
        energy_j: the joules counted for it.
        run_ids: the runs whose figures make it up (several: process-scope shares, or runs one
            after another).
        co2e_g: its CO2e at those runs' PUE and intensity; None when one has no intensity.
    """

    name: str
    provenance: Provenance
    method: str
    source: str
    energy_j: float
    run_ids: tuple[int, ...]
    co2e_g: float | None


@dataclass(frozen=True)
class NodeEnergy:
    """One node of the job: its host, its ranks and its components."""

    host: str
    node_rank: int | None
    ranks: tuple[int, ...]
    components: tuple[JobComponent, ...]

    @property
    def energy_j(self) -> float:
        """Joules of every component of the node."""
        return math.fsum(c.energy_j for c in self.components)

    @property
    def gpus(self) -> tuple[JobComponent, ...]:
        """The node's GPUs."""
        return tuple(c for c in self.components if c.name.startswith("gpu"))


@dataclass(frozen=True)
class JobRecord:
    """A distributed job read back from the ledger: per node, per GPU, total, missing ranks.

    `status` is "running" while a rank still runs, else "failed" if one failed, "interrupted" if
    one was interrupted or killed (stale), "finished" when all finished.
    """

    job_id: str
    status: Status
    runs: tuple[RunRecord, ...]
    nodes: tuple[NodeEnergy, ...]
    world_size: int | None
    missing_ranks: tuple[int, ...]
    start_unix_s: float
    end_unix_s: float
    notes: tuple[str, ...] = ()

    @property
    def components(self) -> tuple[JobComponent, ...]:
        """Every node's components."""
        return tuple(c for node in self.nodes for c in node.components)

    @property
    def energy_j(self) -> float:
        """Joules of the whole job, each sensor counted once."""
        return math.fsum(c.energy_j for c in self.components)

    @property
    def measured_energy_j(self) -> float:
        """Joules read from hardware sensors."""
        return math.fsum(c.energy_j for c in self.components if c.provenance == "measured")

    @property
    def estimated_energy_j(self) -> float:
        """Joules estimated by a model (apportioned counters included)."""
        return math.fsum(c.energy_j for c in self.components if c.provenance == "estimated")

    @property
    def kwh(self) -> float:
        """`energy_j` in kWh."""
        return self.energy_j / J_PER_KWH

    @property
    def co2e_g(self) -> float | None:
        """CO2e of the whole job in grams; None when a counted figure has none."""
        grams = [c.co2e_g for c in self.components]
        return None if any(g is None for g in grams) else math.fsum(g or 0.0 for g in grams)

    @property
    def duration_s(self) -> float:
        """From the first rank's start to the last rank's end (or last update)."""
        return self.end_unix_s - self.start_unix_s

    @property
    def ranks(self) -> tuple[int, ...]:
        """The ranks that have a run, in order."""
        return tuple(sorted({r.rank for r in self.runs if r.rank is not None}))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: totals, nodes with their components, missing ranks, the runs' ids."""
        return {
            "job_id": self.job_id,
            "status": self.status,
            "world_size": self.world_size,
            "ranks": list(self.ranks),
            "missing_ranks": list(self.missing_ranks),
            "start_unix_s": self.start_unix_s,
            "end_unix_s": self.end_unix_s,
            "duration_s": self.duration_s,
            "energy_j": self.energy_j,
            "kwh": self.kwh,
            "measured_energy_j": self.measured_energy_j,
            "estimated_energy_j": self.estimated_energy_j,
            "co2e_g": self.co2e_g,
            "nodes": [
                {
                    "host": node.host,
                    "node_rank": node.node_rank,
                    "ranks": list(node.ranks),
                    "energy_j": node.energy_j,
                    "components": [
                        {
                            "name": c.name,
                            "provenance": c.provenance,
                            "method": c.method,
                            "source": c.source,
                            "energy_j": c.energy_j,
                            "run_ids": list(c.run_ids),
                            "co2e_g": c.co2e_g,
                        }
                        for c in node.components
                    ],
                }
                for node in self.nodes
            ],
            "runs": [run.id for run in self.runs],
            "notes": list(self.notes),
        }


def aggregate_job(job_id: str, runs: Sequence[RunRecord]) -> JobRecord:
    """The job made of `runs` (all of job `job_id`), every sensor counted once (see the module).

    Raises:
        ValueError: `runs` is empty.
    """
    if not runs:
        raise ValueError(f"job {job_id!r} has no runs")
    runs = sorted(runs, key=lambda r: (-1 if r.rank is None else r.rank, r.start_unix_s, r.id))
    notes: list[str] = []
    sizes = sorted({r.world_size for r in runs if r.world_size is not None})
    world_size = sizes[-1] if sizes else None
    if len(sizes) > 1:
        notes.append(f"the runs disagree on the world size ({', '.join(map(str, sizes))})")
    present = {r.rank for r in runs if r.rank is not None}
    missing = tuple(r for r in range(world_size or 0) if r not in present)
    by_host: dict[str, list[RunRecord]] = {}
    for run in runs:
        by_host.setdefault(run.host, []).append(run)
    nodes = [_node(host, node_runs, notes) for host, node_runs in by_host.items()]
    nodes.sort(key=lambda n: (math.inf if n.node_rank is None else n.node_rank, n.host))
    return JobRecord(
        job_id=job_id,
        status=_status(runs),
        runs=tuple(runs),
        nodes=tuple(nodes),
        world_size=world_size,
        missing_ranks=missing,
        start_unix_s=min(r.start_unix_s for r in runs),
        end_unix_s=max(_end(r) for r in runs),
        notes=tuple(notes),
    )


def _node(host: str, runs: list[RunRecord], notes: list[str]) -> NodeEnergy:
    names = list(dict.fromkeys(c.name for run in runs for c in run.components))
    components = []
    for name in names:
        holders = [run for run in runs if run.scope == "machine" or not _is_node_part(name)]
        shares = [run for run in runs if run.scope == "process" and _is_node_part(name)]
        whole = [run for run in holders if _figure(run, name) is not None]
        if whole:
            if any(_figure(run, name) is not None for run in shares):
                notes.append(
                    f"{name} on {host}: measured whole by a machine-scope run; the "
                    "process-scope shares of other runs are left out"
                )
            components.append(_once(host, name, whole, notes))
        else:
            components.append(_summed(name, [r for r in shares if _figure(r, name) is not None]))
    node_ranks = {r.node_rank for r in runs if r.node_rank is not None}
    return NodeEnergy(
        host=host,
        node_rank=min(node_ranks) if node_ranks else None,
        ranks=tuple(sorted({r.rank for r in runs if r.rank is not None})),
        components=tuple(components),
    )


def _once(host: str, name: str, runs: list[RunRecord], notes: list[str]) -> JobComponent:
    """Runs reporting the same whole device: overlapping ones once (the largest), others added."""
    groups: list[list[RunRecord]] = []
    for run in sorted(runs, key=lambda r: r.start_unix_s):
        if groups and run.start_unix_s < max(_end(r) for r in groups[-1]):
            groups[-1].append(run)
        else:
            groups.append([run])
    counted = []
    for group in groups:
        largest = max(group, key=lambda r: _figure(r, name) or 0.0)
        counted.append(largest)
        if len(group) > 1:
            who = ", ".join(_who(r) for r in group)
            notes.append(
                f"{name} on {host} was reported by {who} at the same time: counted once "
                f"(the largest, run {largest.id})"
            )
    return _summed(name, counted)


def _summed(name: str, runs: Iterable[RunRecord]) -> JobComponent:
    runs = list(runs)
    parts = [(run, _component(run, name)) for run in runs]
    first = parts[0][1]
    grams = [
        None
        if run.intensity_g_per_kwh is None
        else c.energy_j / J_PER_KWH * run.pue * run.intensity_g_per_kwh
        for run, c in parts
    ]
    return JobComponent(
        name=name,
        provenance=first.provenance,
        method=first.method,
        source=first.source,
        energy_j=math.fsum(c.energy_j for _, c in parts),
        run_ids=tuple(run.id for run in runs),
        co2e_g=None if any(g is None for g in grams) else math.fsum(g or 0.0 for g in grams),
    )


def _component(run: RunRecord, name: str):
    return next(c for c in run.components if c.name == name)


def _figure(run: RunRecord, name: str) -> float | None:
    return next((c.energy_j for c in run.components if c.name == name), None)


def _is_node_part(name: str) -> bool:
    """CPU, DRAM and memory: the node's, which process scope splits among ranks."""
    return name.partition(":")[0] in NODE_PREFIXES


def _end(run: RunRecord) -> float:
    return run.end_unix_s if run.end_unix_s is not None else run.updated_unix_s


def _who(run: RunRecord) -> str:
    return f"run {run.id}" if run.rank is None else f"run {run.id} (rank {run.rank})"


def _status(runs: Sequence[RunRecord]) -> Status:
    if any(r.status == "running" and not r.stale for r in runs):
        return "running"
    if any(r.status == "failed" for r in runs):
        return "failed"
    if any(r.status == "interrupted" or r.stale for r in runs):
        return "interrupted"
    return "finished"
