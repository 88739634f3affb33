"""Deployments: one profile per part, a host for the layers a spikes-only chip cannot run."""

from __future__ import annotations

import json

import pytest
import torch

import greenspike as gs
from greenspike.cost import Counts
from greenspike.errors import InvalidInputError
from greenspike.train import build_pair


def _twins(encoding: str = "direct"):
    torch.manual_seed(0)
    relu, spiking = build_pair("mlp", (8, 8), 10, (16,), 4, encoding)
    images = torch.rand(20, 8, 8)
    return gs.cost.count(relu.eval(), images), gs.cost.count(spiking.eval(), images)


def test_a_deployment_is_parsed_from_chip_plus_host():
    deployment = gs.cost.deployment("loihi+host=cmos7-int8")
    assert (deployment.chip.name, deployment.host.name) == ("loihi", "cmos7-int8")
    assert deployment.name == "loihi+host=cmos7-int8"
    assert gs.cost.deployment(deployment.name) == deployment
    assert [role for role, _ in deployment.parts] == ["chip", "host"]
    assert gs.cost.deployment(" cmos45-fp32 ").host is None
    assert deployment.to_dict() == {
        "name": "loihi+host=cmos7-int8",
        "chip": "loihi",
        "host": "cmos7-int8",
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tpu9", "unknown hardware profile 'tpu9'; known: cmos45-fp32"),
        ("loihi+host=tpu9", "unknown hardware profile 'tpu9'"),
        ("loihi+gpu=cmos7-int8", "'gpu=cmos7-int8' is not ROLE=PROFILE with ROLE host"),
        ("loihi+cmos7-int8", "is not ROLE=PROFILE"),
        ("loihi+host=cmos7-int8+host=gpu7-fp16", "host is given twice"),
        ("loihi+host=", "has an empty part"),
        ("+host=cmos7-int8", "has an empty part"),
    ],
)
def test_bad_deployments_name_the_problem(spec, message):
    with pytest.raises(InvalidInputError, match=message):
        gs.cost.deployment(spec)


def test_the_host_takes_the_leading_layers_that_multiply():
    relu, spiking = _twins()
    hybrid = gs.cost.deployment("loihi+host=cmos7-int8")
    assert list(spiking.layers) == ["1", "3", "5.layer", "6"]  # Linear, LIF, readout, LI
    roles = hybrid.roles(spiking)
    assert roles == {name: "host" if name == "1" else "chip" for name in spiking.layers}
    precisions = hybrid.precisions(spiking)
    assert precisions["1"] == gs.cost.find_profile("cmos7-int8").precision
    assert precisions["3"] == gs.cost.find_profile("loihi").precision
    # rate encoding feeds the first layer spikes: nothing for a host to do
    _, rate = _twins("rate")
    assert set(hybrid.roles(rate).values()) == {"chip"}
    # a ReLU network multiplies in every layer: only the first goes to the host
    assert [n for n, role in hybrid.roles(relu).items() if role == "host"] == ["1"]
    assert set(gs.cost.deployment("loihi").roles(spiking).values()) == {"chip"}


def test_each_part_prices_its_own_layers_and_the_total_adds_them():
    _, spiking = _twins()
    hybrid = gs.cost.deployment("loihi+host=cmos7-int8").price(spiking)
    chip, host = hybrid.parts
    assert (chip.role, host.role, host.layers) == ("chip", "host", ("1",))
    first = spiking.layers["1"].counts
    rest = Counts()
    for name in chip.layers:
        rest = rest + spiking.layers[name].counts
    assert host.estimate == gs.cost.pricing.price(first, "cmos7-int8")
    assert chip.estimate == gs.cost.pricing.price(rest, "loihi")
    total = hybrid.total
    assert total.complete and hybrid.energy_j == pytest.approx(
        host.estimate.energy_j + chip.estimate.energy_j
    )
    assert total.hardware == "loihi+host=cmos7-int8"
    assert total.provenance.startswith("estimated by greenspike.cost with deployment loihi+")
    assert "chip profile loihi (Davies" in total.provenance
    assert "host profile cmos7-int8 (Jouppi" in total.provenance
    json.dumps([part.to_dict() for part in hybrid.parts])
    # without a host, the first layer's multiply-accumulates are unpriced, never 0 J
    alone = gs.cost.deployment("loihi").price(spiking)
    assert alone.energy_j is None and alone.unpriced_layers == ("1",)
    assert alone.total == spiking.energy("loihi")


def test_user_profiles_from_a_file_join_the_bundled_ones(tmp_path):
    row = {**gs.cost.find_profile("cmos7-int8").to_dict(), "name": "my-host"}
    path = tmp_path / "chips.csv"
    path.write_text(",".join(row) + "\n" + ",".join(f'"{v}"' for v in row.values()) + "\n")
    table = gs.cost.profile_table(path)
    assert gs.cost.deployment("loihi+host=my-host", table).host.name == "my-host"
    clash = {**row, "name": "loihi"}
    path.write_text(",".join(clash) + "\n" + ",".join(f'"{v}"' for v in clash.values()) + "\n")
    with pytest.raises(InvalidInputError, match="'loihi' is also a bundled profile"):
        gs.cost.profile_table(path)
