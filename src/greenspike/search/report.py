"""The HTML report of a search: the ledger's report of its trials, with the Pareto plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from greenspike.search.plot import pareto_figure


def write_search_report(result: dict[str, Any], ledger: Any, path: str | Path) -> Path | None:
    """Write the HTML report of the trials kept in `ledger` (a Ledger, URL or "default") to
    `path`: every trial's energy with provenance, its accuracy per epoch, accuracy against
    energy, and the Pareto front. None (nothing written) when no trial was kept."""
    from greenspike.ledger.sink import open_ledger
    from greenspike.report import write_html_report
    from greenspike.report.plots import data_uri

    run_ids = [t["ledger_run_id"] for t in result["trials"] if t.get("ledger_run_id")]
    if not run_ids:
        return None
    figure = pareto_figure(result)
    figures = {} if figure is None else {"Pareto front": data_uri(figure)}
    return write_html_report(
        open_ledger(ledger),
        run_ids,
        path,
        title=f"Search {result['study']}: {len(run_ids)} trials",
        figures=figures,
    )
