"""The problems list and the canvas marks follow the document: break a connection, see the problem;
fix it (or undo), see it vanish. The status bar and the inspector follow too."""
from __future__ import annotations

from designer_helpers import build
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

from engine.document.blocks import BLOCKS
from engine.model.task_fit import NO_TASK

NO_TASK_ROW = (None, NO_TASK)  # a design built on an empty canvas has no task yet: a warning


def test_break_and_fix_a_connection(window):
    build(window, "many-to-one")
    doc, scene = window.document, window.scene
    assert window.problems.rows() == [NO_TASK_ROW]
    assert all(item.severity is None for item in scene.nodes.values())
    edge = next(e for e in doc.design.edges if e.target == "lstm_1")
    scene.clearSelection()
    scene.edges[edge].setSelected(True)
    window.delete_selection()
    rows = window.problems.rows()
    assert ("lstm_1", 'node "lstm_1" port "in" is not connected; connect an output that gives seq') in rows
    assert scene.nodes["lstm_1"].severity == "error"
    assert scene.nodes["lstm_1"].inputs["in"]._problem  # noqa: SLF001 - the unconnected port is marked
    assert "incomplete" in window.status_architecture.text()
    assert "error" in window.status_problems.text()
    # fix it by wiring again: the marks go away
    assert scene.try_connect(edge.source, edge.source_port, edge.target, edge.target_port) is None
    assert window.problems.rows() == [NO_TASK_ROW]
    assert scene.nodes["lstm_1"].severity is None
    assert not scene.nodes["lstm_1"].inputs["in"]._problem  # noqa: SLF001
    assert "many-to-one" in window.status_architecture.text()


def test_shape_problem_marks_the_edge_and_undo_clears_it(window):
    build(window, "encoder-decoder")
    doc, scene = window.document, window.scene
    scene.select_nodes(["bridge_1"])
    window.inspector.apply_edit("mode", "copy")  # the encoder gives 128 (bidirectional 64), not 64
    (problem,) = doc.report.errors
    assert problem.node_id == "bridge_1"
    marked = [e for e, item in scene.edges.items() if item.problem]
    assert marked == [problem.edge]
    assert "bidirectional" in scene.edges[problem.edge].problem
    assert window.problems.rows() == [("bridge_1", problem.message), NO_TASK_ROW]
    doc.undo_stack.undo()
    assert not any(item.problem for item in scene.edges.values())
    assert window.problems.rows() == [NO_TASK_ROW]


def test_clicking_a_problem_selects_its_node(window):
    build(window, "many-to-many")
    scene = window.scene
    scene.select_nodes(["every_step_1"])
    window.delete_selection()
    scene.clearSelection()
    rows = window.problems.rows()
    index = next(i for i, (node, _) in enumerate(rows) if node == "regressor_1")
    item = window.problems.topLevelItem(index)
    window.problems.itemClicked.emit(item, 2)
    assert scene.selected_node_ids() == ["regressor_1"]
    assert window.inspector.node_id == "regressor_1"


def test_status_bar_counts_parameters_on_every_edit(window):
    build(window, "many-to-one")
    before = window.document.report.total_params
    window.scene.select_nodes(["lstm_1"])
    window.inspector.apply_edit("hidden_size", 128)
    after = window.document.report.total_params
    assert after > before
    assert f"{after:,}" in window.status_params.text()


def test_inspector_has_one_typed_editor_per_parameter(window):
    for kind, spec in BLOCKS.items():
        node_id = window.scene.add_block(kind, window.view.visible_center())
        assert window.inspector.node_id == node_id
        editors = window.inspector.editors
        assert list(editors) == [p.name for p in spec.params]
        for p in spec.params:
            w = editors[p.name]
            if p.type is bool:
                assert isinstance(w, QCheckBox)
            elif p.type is int:
                assert isinstance(w, QSpinBox) and w.minimum() == p.minimum and w.maximum() == min(p.maximum, 2**31 - 1)
            elif p.type is float:
                assert isinstance(w, QDoubleSpinBox) and w.minimum() == p.minimum and w.maximum() == p.maximum
            else:
                assert isinstance(w, QComboBox) and [w.itemData(i) for i in range(w.count())] == list(p.choices)
                assert [w.itemText(i) for i in range(w.count())] == [p.choice_title(c) for c in p.choices]
            assert w.toolTip().split("\n")[0] == p.help  # a spin box says the range it accepts below


def test_inspector_edits_are_live_and_follow_undo(window):
    node_id = window.scene.add_block("lstm", window.view.visible_center())
    design = window.document.design
    spin = window.inspector.editors["hidden_size"]
    spin.setValue(96)
    assert design.nodes[node_id].params["hidden_size"] == 96
    window.inspector.editors["bidirectional"].setChecked(True)
    assert design.nodes[node_id].params["bidirectional"] is True
    window.document.undo_stack.undo()
    assert not window.inspector.editors["bidirectional"].isChecked()
    window.document.undo_stack.undo()
    assert spin.value() == 64 and design.nodes[node_id].params["hidden_size"] == 64
    # with nothing selected the inspector shows the design; its name is editable and undoable
    window.scene.clearSelection()
    window.inspector.name_edit.setText("my model")
    window.inspector.name_edit.editingFinished.emit()
    assert design.name == "my model" and "my model" in window.windowTitle()
    window.document.undo_stack.undo()
    assert design.name == "untitled"


def test_palette_filter_and_quick_add(window, qtbot):
    window.palette.filter.setText("lstm")
    assert window.palette.visible_kinds() == ["lstm"]
    window.palette.filter.setText("head")
    assert set(window.palette.visible_kinds()) >= {"classifier", "regressor"}
    window.palette.filter.clear()
    assert len(window.palette.visible_kinds()) == len(BLOCKS)
    window.open_quick_add(window.view.visible_center())
    qtbot.keyClicks(window.quick_add.search, "gru")
    assert "gru" in window.quick_add.visible_kinds() and "dense" not in window.quick_add.visible_kinds()
    qtbot.keyClick(window.quick_add.search, Qt.Key.Key_Return)
    assert [n.kind for n in window.document.design.nodes.values()] == ["gru"]
    assert not window.quick_add.isVisible()
