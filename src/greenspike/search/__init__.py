"""Energy-aware architecture and hyperparameter search (the `search` extra: Optuna).

    from greenspike.search import SearchConfig, search
    result = search(SearchConfig(trials=20, energy_budget_kj=50))
    result["pareto"], result["energy"]["kwh"], result["pruning"]["estimated_saved_j"]

Each trial trains one candidate (ReLU or spiking, see `SearchSpace`) with `greenspike.train`
inside its own energy tracker run; the study lives in an Optuna RDB storage that any number of
workers share.
"""

from greenspike.search.config import OBJECTIVES, SAMPLERS, SearchConfig
from greenspike.search.plot import pareto_figure, write_pareto_plot
from greenspike.search.pruning import MedianRule
from greenspike.search.report import write_search_report
from greenspike.search.space import Candidate, SearchSpace
from greenspike.search.study import search

__all__ = [
    "OBJECTIVES",
    "SAMPLERS",
    "Candidate",
    "MedianRule",
    "SearchConfig",
    "SearchSpace",
    "pareto_figure",
    "search",
    "write_pareto_plot",
    "write_search_report",
]
