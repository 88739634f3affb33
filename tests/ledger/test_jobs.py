"""Distributed jobs in the ledger: every sensor counted once per node, missing ranks shown."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from greenspike.energy.carbon import CarbonIntensity
from greenspike.energy.measurement import ComponentEnergy, EnergyReport
from greenspike.ledger import SCHEMA_VERSION, Ledger
from greenspike.ledger import schema as ledger_schema
from greenspike.ledger._engine import connect
from greenspike.ledger.migrations import MIGRATIONS, migrate

PACKAGE = ("cpu:package-0", "measured", "energy counter", "rapl:package-0")
GPU = ("measured", "energy counter")


def component(name, provenance, method, source, joules):
    return ComponentEnergy(name, provenance, method, source, energy_j=joules)


def gpu(index: int, joules: float) -> ComponentEnergy:
    return component(f"gpu:{index}", *GPU, f"nvml:{index}", joules)


def add_run(
    ledger,
    job,
    rank,
    components,
    *,
    world_size=4,
    host="node-a",
    start=100.0,
    end=200.0,
    scope="machine",
    intensity=100.0,
    status="finished",
):
    run_id = ledger.start_run(
        name=f"rank {rank}",
        start_unix_s=start,
        interval_s=1.0,
        rank=rank,
        world_size=world_size,
        job_id=job,
        local_rank=rank,
        scope=scope,
    )
    # the ledger keeps the host of the process that wrote the run: set the test's own
    with ledger.engine.begin() as connection:
        connection.execute(
            ledger_schema.runs.update().where(ledger_schema.runs.c.id == run_id).values(host=host)
        )
    ledger.record(
        run_id,
        EnergyReport(
            name=f"rank {rank}",
            status=status,
            start_unix_s=start,
            end_unix_s=None if status == "running" else end,
            duration_s=end - start,
            components=tuple(components),
            carbon_intensity=None if intensity is None else CarbonIntensity(intensity, "given"),
            scope=scope,
        ),
    )
    return run_id


def test_a_job_counts_one_package_per_node_and_each_gpu_once(ledger):
    add_run(ledger, "j", 0, [component(*PACKAGE, 500.0), gpu(0, 300.0)])
    add_run(ledger, "j", 1, [gpu(1, 250.0)])
    add_run(ledger, "j", 2, [component(*PACKAGE, 450.0), gpu(0, 200.0)], host="node-b")
    job = ledger.job("j")
    assert job.energy_j == 500 + 300 + 250 + 450 + 200
    assert [(n.host, n.energy_j, n.ranks) for n in job.nodes] == [
        ("node-a", 1050.0, (0, 1)),
        ("node-b", 650.0, (2,)),
    ]
    assert [c.name for c in job.nodes[0].gpus] == ["gpu:0", "gpu:1"]
    assert job.missing_ranks == (3,) and job.world_size == 4 and job.ranks == (0, 1, 2)
    assert job.co2e_g == pytest.approx(job.kwh * 100.0)
    assert job.measured_energy_j == job.energy_j and job.estimated_energy_j == 0
    assert job.status == "finished" and job.notes == ()
    assert job.to_dict()["missing_ranks"] == [3]


def test_a_sensor_two_ranks_read_at_once_is_counted_once_with_a_note(ledger):
    add_run(ledger, "j", 0, [component(*PACKAGE, 500.0)], world_size=2)
    add_run(ledger, "j", 1, [component(*PACKAGE, 510.0)], world_size=2, start=101.0)
    job = ledger.job("j")
    assert job.energy_j == 510.0
    assert "cpu:package-0 on node-a was reported by run 1 (rank 0), run 2 (rank 1)" in job.notes[0]


def test_runs_one_after_another_add_up(ledger):
    # rank 0 restarted by an elastic launcher: two runs, one after the other
    add_run(ledger, "j", 0, [gpu(0, 40.0)], world_size=1, start=0.0, end=50.0)
    add_run(ledger, "j", 0, [gpu(0, 60.0)], world_size=1, start=60.0, end=100.0)
    assert ledger.job("j").energy_j == 100.0


def test_process_scope_shares_of_a_node_add_up(ledger):
    share = ("cpu:package-0", "estimated", "cpu-time share", "rapl:package-0 x 40%")
    add_run(ledger, "j", 0, [component(*share, 40.0), gpu(0, 10.0)], world_size=2, scope="process")
    add_run(ledger, "j", 1, [component(*share, 35.0), gpu(1, 12.0)], world_size=2, scope="process")
    job = ledger.job("j")
    [package] = [c for c in job.components if c.name == "cpu:package-0"]
    assert package.energy_j == 75.0 and package.run_ids == (1, 2)
    assert job.estimated_energy_j == 75.0 and job.measured_energy_j == 22.0


def test_a_job_without_an_intensity_somewhere_has_no_co2e(ledger):
    add_run(ledger, "j", 0, [gpu(0, 1.0)], world_size=2)
    add_run(ledger, "j", 1, [gpu(1, 1.0)], world_size=2, intensity=None)
    assert ledger.job("j").co2e_g is None


def test_the_status_of_a_job(ledger):
    add_run(ledger, "a", 0, [gpu(0, 1.0)], world_size=2, status="running", end=1e12)
    add_run(ledger, "a", 1, [gpu(1, 1.0)], world_size=2, status="failed")
    add_run(ledger, "b", 0, [gpu(0, 1.0)], world_size=2, status="interrupted")
    add_run(ledger, "b", 1, [gpu(1, 1.0)], world_size=2)
    assert ledger.job("a").status == "running"  # still running in this process: not stale
    assert ledger.job("b").status == "interrupted"


def test_jobs_are_listed_newest_first_and_an_unknown_one_is_an_error(ledger):
    add_run(ledger, "old", 0, [gpu(0, 1.0)], start=10.0, end=20.0)
    add_run(ledger, "new", 0, [gpu(0, 2.0)], start=30.0, end=40.0)
    add_run(ledger, "new", 1, [gpu(1, 3.0)], start=31.0, end=40.0)
    ledger.start_run(name="alone", start_unix_s=50.0, interval_s=1.0)  # no job
    assert [(j.job_id, j.energy_j) for j in ledger.jobs()] == [("new", 5.0), ("old", 1.0)]
    assert [j.job_id for j in ledger.jobs(limit=1)] == ["new"]
    assert [j.job_id for j in ledger.jobs(since_unix_s=20.0)] == ["new"]
    assert [r.rank for r in ledger.runs(job_id="new")] == [1, 0]
    with pytest.raises(ValueError, match="no job 'nope' in the ledger"):
        ledger.job("nope")


def test_a_version_1_ledger_is_migrated_to_jobs_and_scopes(any_url):
    engine = connect(any_url)
    migrate(engine, MIGRATIONS[:1])
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (name, host, pid, pid_created_unix_s, status, start_unix_s, "
                "updated_unix_s, interval_s, duration_s, energy_j, measured_energy_j, "
                "estimated_energy_j, pue, metadata_json, greenspike_version) VALUES "
                "('old', 'h', 1, 0, 'finished', 1, 1, 1, 0, 0, 0, 0, 1, '{}', '0.1')"
            )
        )
    engine.dispose()
    with Ledger(any_url) as ledger:
        [run] = ledger.runs()
        assert (run.name, run.job_id, run.scope) == ("old", None, "machine")
        assert ledger.jobs() == []


def test_the_job_filter_combines_with_the_list_filters_on_a_migrated_ledger(any_url):
    """Schema version 2's job columns and the filters of `runs list` in one SQL query."""
    from greenspike.ledger.filters import metric_condition

    engine = connect(any_url)
    migrate(engine, MIGRATIONS[:1])  # a version-1 ledger, then opened at version 2
    engine.dispose()
    with Ledger(any_url) as ledger:
        for job, rank, accuracy in (("a", 0, 0.9), ("a", 1, 0.8), ("b", 0, 0.95)):
            run_id = add_run(ledger, job, rank, [gpu(rank, 1.0)], start=100.0 + rank)
            ledger.set_tags(run_id, {"group": job})
            ledger.log_metrics(run_id, {"accuracy": accuracy}, step=0)
        high = [metric_condition("accuracy>=0.85")]

        def found(**filters):
            return [(r.job_id, r.rank) for r in ledger.runs(**filters)]

        assert found(job_id="a") == [("a", 1), ("a", 0)]
        assert found(job_id="a", where=high) == [("a", 0)]
        assert found(job_id="a", name="rank ?", tag_keys=["group"], limit=1) == [("a", 1)]
        assert found(job_id="b", tags={"group": "a"}) == []
        assert found(where=high) == [("b", 0), ("a", 0)]  # newest first, then the latest id


def test_a_new_ledger_has_exactly_the_tables_of_the_schema(any_url):
    Ledger(any_url).close()
    engine = connect(any_url)
    found = inspect(engine)
    for table in ledger_schema.METADATA.sorted_tables:
        assert {c["name"] for c in found.get_columns(table.name)} == set(table.columns.keys())
    assert "ix_runs_job" in {i["name"] for i in found.get_indexes("runs")}
    engine.dispose()
    assert SCHEMA_VERSION == 2
