"""``check_design``: every check of a design, in order — the graph itself (:mod:`.graph`), whether
the model fits this machine (:mod:`.model_size`), and whether it fits its task (:mod:`.task_fit`).
Torch-free, so the window checks on every edit and ``rnn-designer check`` starts fast."""
from __future__ import annotations

from engine.document.design import Design
from engine.model.graph import check_graph
from engine.model.model_size import check_model_size
from engine.model.report import CheckReport
from engine.model.task_fit import check_task_fit


def check_design(design: Design) -> CheckReport:
    """Run every check; never raises for a bad graph — problems are returned in the report."""
    report = check_graph(design)
    if not design.nodes or not report.order:  # empty, or a cycle: nothing more can be said
        return report
    check_model_size(report)
    check_task_fit(design, report)
    return report
