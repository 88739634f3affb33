"""A search can target a neuromorphic deployment: priced and scored at its precision."""

from __future__ import annotations

import pytest
import torch

import greenspike as gs
from greenspike.errors import InvalidInputError
from greenspike.search import SearchConfig, SearchSpace
from greenspike.search._trial import evaluate_trial, load_search_data
from greenspike.search.space import Candidate, build

SPIKING = SearchSpace(networks=("spiking",))


def test_a_spikes_only_chip_with_a_host_is_a_valid_target_for_spiking_networks():
    SearchConfig(hardware=("loihi+host=cmos7-int8",), space=SPIKING).check()


@pytest.mark.parametrize(
    ("hardware", "space", "message"),
    [
        (("loihi",), SPIKING, "no figure for multiply-accumulates: .* give a spikes-only chip"),
        (("loihi+host=cmos7-int8",), SearchSpace(), "loihi takes spikes only"),
        (("loihi+host=tpu",), SPIKING, "unknown hardware profile 'tpu'"),
    ],
)
def test_targets_that_cannot_price_the_candidates_are_refused(hardware, space, message):
    with pytest.raises(InvalidInputError, match=message):
        SearchConfig(hardware=hardware, space=space).check()


def test_a_trial_is_priced_and_scored_at_each_deployment_precision():
    config = SearchConfig(limit=300, hardware=("loihi+host=cmos7-int8", "cmos45-fp32"))
    data = load_search_data(config)
    candidate = Candidate("spiking", "mlp", (24,), 1e-3, steps=4, beta=0.9, threshold=1.0)
    torch.manual_seed(0)
    network = build(candidate, data.image_shape, data.classes)
    gs.train.fit(network, data.fit, epochs=2, batch_size=64, lr=2e-3, seed=0)
    evaluation = evaluate_trial(network, data, config.hardware, config.seed, config.profiles())
    assert set(evaluation.deployed_accuracy) == set(config.hardware)
    assert evaluation.deployed_accuracy["cmos45-fp32"] == evaluation.test_accuracy
    assert evaluation.validation_accuracy is not None  # the first target is not fp32
    hybrid = evaluation.inference_energy["loihi+host=cmos7-int8"]
    assert hybrid.complete and hybrid.energy_j == evaluation.inference_energy_j
    assert hybrid.hardware == "loihi+host=cmos7-int8"
    again = gs.search.records.TrialEvaluation.from_dict(evaluation.to_dict())
    assert again == evaluation
