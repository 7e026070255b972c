"""A wire dropped on an input that is already fed replaces the old wire: one undoable step, said in
the status bar; undo brings the old wire back in its place, redo replaces it again. A wire that
would be wrong anyway is still refused, and the old one stays."""
from __future__ import annotations

import pytest
from designer_helpers import drop, wire

from designer.main_window import MainWindow
from engine.document.design import Edge


@pytest.fixture
def bare(qtbot, settings):  # noqa: ANN001, ANN201
    w = MainWindow(settings=settings, panels=lambda host: [])
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.document.undo_stack.setClean()
    w.close()


def test_a_wire_on_a_fed_input_replaces_the_old_one(bare):
    doc, scene = bare.document, bare.scene
    old_source, new_source = drop(bare, "token_input", 0), drop(bare, "token_input", 0, row=1)
    embedding, cell = drop(bare, "embedding", 1), drop(bare, "gru", 2)
    wire(bare, old_source, "out", embedding, "in")
    wire(bare, embedding, "out", cell, "in")
    before, depth = doc.design.to_dict(), doc.undo_stack.count()
    old, new = Edge(old_source, "out", embedding, "in"), Edge(new_source, "out", embedding, "in")

    assert scene.try_connect(new_source, "out", embedding, "in") is None  # what releasing the wire calls
    assert doc.design.edges == [new, Edge(embedding, "out", cell, "in")]  # in the old wire's place
    assert set(scene.edges) == set(doc.design.edges)
    assert doc.undo_stack.count() == depth + 1  # one step
    assert bare.actionUndo.text().replace("&", "") == f"Undo Replace {old_source} → {embedding} with {new_source} → {embedding}"
    message = bare.statusBar().currentMessage()
    assert message.startswith(f"Replaced {old} with {new}") and "Undo" in message
    after = doc.design.to_dict()

    bare.actionUndo.trigger()
    assert doc.design.to_dict() == before and set(scene.edges) == set(doc.design.edges)
    bare.actionRedo.trigger()
    assert doc.design.to_dict() == after and set(scene.edges) == {new, Edge(embedding, "out", cell, "in")}


def test_a_wrong_wire_on_a_fed_input_is_refused_and_the_old_one_stays(bare):
    doc, scene = bare.document, bare.scene
    tokens, features, embedding = drop(bare, "token_input", 0), drop(bare, "sequence_input", 0, 1), drop(bare, "embedding", 1)
    wire(bare, tokens, "out", embedding, "in")
    before, depth = doc.design.to_dict(), doc.undo_stack.count()
    reason = scene.try_connect(features, "out", embedding, "in")  # an embedding takes tokens, not features
    assert reason and 'port "in"' in reason and "takes" in reason
    assert reason in scene.toast_text and reason in bare.statusBar().currentMessage()
    assert scene.try_connect(tokens, "out", embedding, "in")  # the same wire again: nothing to replace
    assert doc.design.to_dict() == before and doc.undo_stack.count() == depth


def test_the_hint_says_the_wire_will_replace(bare):
    doc, scene = bare.document, bare.scene
    a, b, embedding = drop(bare, "token_input", 0), drop(bare, "token_input", 0, 1), drop(bare, "embedding", 1)
    wire(bare, a, "out", embedding, "in")
    replaced, reason = scene.connection_plan(Edge(b, "out", embedding, "in"))  # what hovering asks
    assert replaced == Edge(a, "out", embedding, "in") and reason is None
    doc.set_editable(False, "Locked for the test.")
    assert scene.connection_plan(Edge(b, "out", embedding, "in")) == (None, "Locked for the test.")
