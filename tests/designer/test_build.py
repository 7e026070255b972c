"""Each of the four architectures, built from an empty canvas through the palette's drop method and
the port-connection method, checks clean and compiles."""
from __future__ import annotations

import pytest
from designer_helpers import build, drop
from PySide6.QtCore import QPointF

from engine.model.check import check_design
from engine.model.graph import ARCHITECTURES
from engine.model.task_fit import NO_TASK


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_build_architecture_from_empty_canvas(window, architecture):
    assert not window.document.design.nodes
    build(window, architecture)
    report = window.document.report
    assert [p.message for p in report.problems] == [NO_TASK]  # no task picked yet: the only (warning)
    assert report.architecture == architecture
    assert check_design(window.document.design).architecture == architecture
    assert architecture in window.status_architecture.text()
    assert f"{report.total_params:,}" in window.status_params.text()
    assert window.problems.rows() == [(None, NO_TASK)]
    # every node and edge of the document is on the canvas, edges labelled with their shapes
    assert set(window.scene.nodes) == set(window.document.design.nodes)
    assert set(window.scene.edges) == set(window.document.design.edges)
    for edge, item in window.scene.edges.items():
        assert item.label == str(report.edge_shape(edge))
    from engine.model.compiler import compile_design  # torch: only now

    model = compile_design(window.document.design)
    assert model.architecture == architecture


def test_drop_snaps_to_grid_and_selects(window):
    node_id = window.scene.add_block("lstm", QPointF(133, 77))
    x, y = window.document.design.nodes[node_id].position
    assert x % 20 == 0 and y % 20 == 0
    assert window.scene.selected_node_ids() == [node_id]
    assert window.inspector.node_id == node_id
    assert window.actionUndo.text().endswith("Add LSTM")


def test_incompatible_connection_is_refused_with_a_visible_reason(window):
    src = drop(window, "token_input", 0)
    cell = drop(window, "lstm", 1)
    before = window.document.design.to_dict()
    depth = window.document.undo_stack.count()
    reason = window.scene.try_connect(src, "out", cell, "in")
    assert reason and "takes seq" in reason and "tokens" in reason
    assert window.scene.last_refusal == reason
    assert reason in (window.scene.toast_text or "")
    assert reason in window.statusBar().currentMessage()
    assert window.document.design.to_dict() == before
    assert window.document.undo_stack.count() == depth


def test_stacked_and_bidirectional_cells_show_badges(window):
    cell = drop(window, "gru", 0)
    item = window.scene.nodes[cell]
    assert item.badges() == []
    window.inspector.apply_edit("num_layers", 3)
    window.inspector.apply_edit("bidirectional", True)
    assert item.badges() == ["×3 layers", "⇄ bidirectional"]
    window.document.undo_stack.undo()
    assert item.badges() == ["×3 layers"]
