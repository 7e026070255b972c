"""Editable is a state of the document: while it is locked the canvas, the inspector, the window's
actions, commands and undo/redo all refuse model edits with a message (never applied silently,
never a crash); moving blocks stays allowed; unlocking restores everything."""
from __future__ import annotations

import pytest
from designer_helpers import build
from PySide6.QtCore import QPointF

from designer.commands import AddNode, MoveNodes, SetName, SetParam
from designer.main_window import MainWindow

REASON = "A run is training on this design: stop it to edit."


@pytest.fixture
def bare(qtbot, settings):  # noqa: ANN001, ANN201
    """A window composed without panels: the designer alone (no pyqtgraph, no torch)."""
    w = MainWindow(settings=settings, panels=lambda host: [])
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    build(w, "many-to-one")
    yield w
    w.document.undo_stack.setClean()
    w.close()


def lock(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    with qtbot.waitSignal(window.document.editable_changed) as blocker:
        window.document.set_editable(False, REASON)
    assert blocker.args == [False]


def test_locking_is_document_state_that_the_views_show(bare, qtbot):
    doc = bare.document
    assert doc.editable and doc.lock_reason == "" and not bare.view.lock_banner.isVisible()
    lock(bare, qtbot)
    assert not doc.editable and doc.lock_reason == REASON
    assert bare.view.lock_banner.isVisible() and bare.view.lock_banner.text() == REASON
    assert not bare.palette.isEnabled() and not bare.inspector.isEnabled() and not bare.history.isEnabled()
    assert REASON in bare.inspector.toolTip()
    for action in (bare.actionNew, bare.actionOpen, bare.actionPaste, bare.actionQuickAdd, bare.actionUndo,
                   bare.toolUndo, bare.menu_add.menuAction(), bare.menu_templates.menuAction()):
        assert not action.isEnabled(), action.objectName() or action.text()
    assert bare.actionSave.isEnabled()  # saving does not change the model
    with qtbot.waitSignal(doc.editable_changed) as blocker:
        doc.set_editable(True)
    assert blocker.args == [True] and doc.lock_reason == ""
    assert not bare.view.lock_banner.isVisible()
    assert bare.palette.isEnabled() and bare.inspector.isEnabled() and bare.history.isEnabled()
    assert bare.actionNew.isEnabled() and bare.actionUndo.isEnabled() and bare.menu_add.menuAction().isEnabled()


def test_the_canvas_refuses_blocks_and_wires_while_locked(bare, qtbot):
    doc, scene = bare.document, bare.scene
    before, depth = doc.design.to_dict(), doc.undo_stack.count()
    lock(bare, qtbot)
    with qtbot.waitSignal(doc.edit_refused) as blocker:
        assert scene.add_block("gru", QPointF(0, 500)) is None  # what a palette drop calls
    assert blocker.args == [f"Not changed: {REASON}"]
    assert scene.toast_text == f"Not changed: {REASON}"
    assert bare.statusBar().currentMessage() == f"Not changed: {REASON}"
    first = doc.design.edges[0]
    doc.design.disconnect(first)  # an unfed input, outside the undo history, so a wire would be valid
    before = doc.design.to_dict()
    reason = scene.try_connect(first.source, first.source_port, first.target, first.target_port)
    assert reason == REASON and REASON in scene.toast_text and REASON in bare.statusBar().currentMessage()
    scene.select_nodes([first.target])
    bare.delete_selection()  # the Delete key, with its action off, still goes through the document
    assert doc.design.to_dict() == before and doc.undo_stack.count() == depth and doc.refusals == 2
    item = scene.nodes[first.target]  # moving a block does not change the model: allowed
    start = QPointF(item.pos())
    item.setPos(start + QPointF(40, 0))
    scene.commit_moves({first.target: start})
    assert doc.design.nodes[first.target].position == (start.x() + 40, start.y())
    doc.set_editable(True)
    assert scene.try_connect(first.source, first.source_port, first.target, first.target_port) is None
    assert scene.add_block("gru", QPointF(0, 500)) is not None


def test_the_inspector_keeps_the_designs_value_while_locked(bare, qtbot):
    doc = bare.document
    cell = next(n for n, node in doc.design.nodes.items() if node.kind == "lstm")
    bare.scene.select_nodes([cell])
    old = doc.design.nodes[cell].params["hidden_size"]
    lock(bare, qtbot)
    bare.inspector.apply_edit("hidden_size", old + 7)  # what the spin box calls when it changes
    assert doc.design.nodes[cell].params["hidden_size"] == old
    assert bare.inspector.editors["hidden_size"].value() == old  # the editor shows the design, not the refused edit
    assert bare.statusBar().currentMessage() == f"Not changed: {REASON}"
    doc.set_editable(True)
    bare.inspector.apply_edit("hidden_size", old + 7)
    assert doc.design.nodes[cell].params["hidden_size"] == old + 7


def test_undo_and_redo_refuse_model_changes_while_locked(bare, qtbot):
    doc, stack = bare.document, bare.document.undo_stack
    doc.push(AddNode(doc, "gru", (0, 600), node_id="extra"))
    lock(bare, qtbot)
    assert not bare.actionUndo.isEnabled() and not bare.toolUndo.isEnabled()
    with qtbot.waitSignal(doc.edit_refused) as blocker:
        stack.undo()
    assert blocker.args == [f"Not undone: {REASON}"] and "extra" in doc.design.nodes
    bare.actionUndo.trigger()
    stack.setIndex(0)  # a jump in the history (what a script or the history view asks)
    assert "extra" in doc.design.nodes and stack.index() == stack.count()
    # an edit that does not change the model can be made and undone meanwhile
    doc.push(SetName(doc, "renamed while locked"))
    assert bare.actionUndo.isEnabled()
    stack.undo()
    assert doc.design.name != "renamed while locked" and bare.actionRedo.isEnabled()
    stack.redo()
    assert doc.design.name == "renamed while locked"
    assert not doc.push(SetParam(doc, "extra", "hidden_size", 9))  # pushed directly: refused, reported False
    assert doc.design.nodes["extra"].params["hidden_size"] != 9
    doc.set_editable(True)
    assert bare.actionUndo.isEnabled()
    stack.undo()  # the rename
    stack.undo()  # the block
    assert "extra" not in doc.design.nodes
    bare.actionRedo.trigger()
    assert "extra" in doc.design.nodes


def test_a_locked_undo_of_a_move_is_allowed(bare, qtbot):
    doc = bare.document
    node_id = next(iter(doc.design.nodes))
    old = doc.design.nodes[node_id].position
    lock(bare, qtbot)
    doc.push(MoveNodes(doc, {node_id: (old, (old[0] + 100, old[1]))}))
    assert bare.actionUndo.isEnabled()
    bare.actionUndo.trigger()
    assert doc.design.nodes[node_id].position == old
