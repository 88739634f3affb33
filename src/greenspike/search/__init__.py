"""Energy-aware architecture and hyperparameter search (the `search` extra: Optuna).

    from greenspike.search import SearchConfig, search
    result = search(SearchConfig(trials=20, energy_budget_kj=50))
    result.pareto, result.energy.kwh, result.pruning.estimated_saved_j, result.to_dict()

Each trial trains one candidate (ReLU or spiking, see `SearchSpace`) with `greenspike.train`
inside its own energy tracker run; the study lives in an Optuna RDB storage that any number of
workers share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from greenspike._lazy import lazy_names
from greenspike.search.config import OBJECTIVES, SAMPLERS, SearchConfig
from greenspike.search.pruning import MedianRule
from greenspike.search.records import TrialEvaluation, TrialMeasurement, TrialRecord
from greenspike.search.result import PruningSaving, SearchBill, SearchResult
from greenspike.search.space import Candidate, SearchSpace

if TYPE_CHECKING:
    from greenspike.search._study import search
    from greenspike.search.optimization import Optimization, OptimizeConfig, optimize

# What runs a study needs Optuna: imported on first use, so that results, their records and
# reports of them are read without it.
_WITH_OPTUNA = {
    "search": "greenspike.search._study",
    "optimize": "greenspike.search.optimization",
    "Optimization": "greenspike.search.optimization",
    "OptimizeConfig": "greenspike.search.optimization",
}
__getattr__ = lazy_names(__name__, _WITH_OPTUNA)


__all__ = [
    "OBJECTIVES",
    "SAMPLERS",
    "Candidate",
    "MedianRule",
    "Optimization",
    "OptimizeConfig",
    "PruningSaving",
    "SearchBill",
    "SearchConfig",
    "SearchResult",
    "SearchSpace",
    "TrialEvaluation",
    "TrialMeasurement",
    "TrialRecord",
    "optimize",
    "search",
]
