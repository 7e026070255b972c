"""A design too big to train says so at check time, with the numbers (issue 14, "Design files")."""
from __future__ import annotations

from engine.document.design import Design
from engine.model.check import check_design
from engine.model.graph import CheckReport
from engine.model.model_size import PARAM_BUDGET, check_model_size


def _huge() -> Design:
    d = Design(name="maxima")
    d.add_node("token_input", {"vocab_size": 1_000_000}, node_id="tokens")
    d.add_node("embedding", {"embed_dim": 4096}, node_id="embed")
    d.add_node("lstm", {"hidden_size": 4096, "num_layers": 8, "bidirectional": True}, node_id="lstm")
    d.add_node("every_step", node_id="steps")
    d.add_node("classifier", {"num_classes": 1_000_000}, node_id="head")
    for a, b in (("tokens", "embed"), ("embed", "lstm"), ("lstm", "steps"), ("steps", "head")):
        d.connect(a, "out", b, "in")
    return d


def test_a_model_at_the_catalogs_maxima_cannot_check_clean() -> None:
    report = check_design(_huge())
    size = [p for p in report.problems if "parameters" in p.message and "training needs" in p.message]
    assert size and f"{report.total_params:,} parameters" in size[0].message and size[0].node_id == "head"
    assert report.total_params > 15_000_000_000


def test_the_memory_error_and_the_budget_warning_carry_the_numbers() -> None:
    report = CheckReport(param_counts={"lstm": 2_000_000_000, "head": 1_000})
    check_model_size(report, memory=(24_000_000_000, "this machine's"))
    (p,) = report.problems
    assert p.severity == "error" and p.node_id == "lstm"
    assert "2,000,001,000 parameters (2,000,000,000 of them in \"lstm\")" in p.message
    assert "at least 32.0 GB" in p.message and "more than this machine's 24.0 GB of memory" in p.message
    report = CheckReport(param_counts={"lstm": PARAM_BUDGET + 1})
    check_model_size(report, memory=(10**13, "this machine's"))
    assert report.problems[0].severity == "warning" and "more than 100,000,000" in report.problems[0].message
    small = CheckReport(param_counts={"lstm": 1000})
    check_model_size(small, memory=(1, "no"))
    assert small.problems == []
