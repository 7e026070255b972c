"""Every kind of command undone and redone restores the document exactly; a chain of 50 random edits
undone to the start gives the empty document; the canvas follows every step."""
from __future__ import annotations

import random

import pytest
from designer_helpers import build
from PySide6.QtCore import QPointF

from designer import clipboard
from designer.commands import AddItems, AddNode, Connect, MoveNodes, RemoveItems, SetMetadata, SetName, SetParam
from engine.document.blocks import BLOCKS
from engine.document.design import Design, Edge


def assert_canvas_mirrors(window):
    design = window.document.design
    assert set(window.scene.nodes) == set(design.nodes)
    assert set(window.scene.edges) == set(design.edges)
    for node_id, item in window.scene.nodes.items():
        node = design.nodes[node_id]
        assert (item.pos().x(), item.pos().y()) == node.position
        assert item.params == node.params


def roundtrip(window, make_command):
    doc = window.document
    before = doc.design.to_dict()
    command = make_command(doc)
    doc.push(command)
    after = doc.design.to_dict()
    assert after != before
    assert_canvas_mirrors(window)
    doc.undo_stack.undo()
    assert doc.design.to_dict() == before
    assert_canvas_mirrors(window)
    doc.undo_stack.redo()
    assert doc.design.to_dict() == after
    assert_canvas_mirrors(window)
    doc.undo_stack.undo()
    assert doc.design.to_dict() == before
    return command


@pytest.fixture
def built(window):
    build(window, "encoder-decoder")
    window.document.undo_stack.clear()
    return window


def test_add_node(built):
    roundtrip(built, lambda d: AddNode(d, "lstm", (40, 60), {"hidden_size": 32}))


def test_remove_nodes_and_edges_restores_order(built):
    design = built.document.design
    middle = list(design.nodes)[1:4]
    roundtrip(built, lambda d: RemoveItems(d, middle, [design.edges[-1]]))


def test_remove_single_edge(built):
    edge = built.document.design.edges[1]
    cmd = roundtrip(built, lambda d: RemoveItems(d, [], [edge]))
    assert cmd.text() == "Delete connection"


def test_connect(built):
    doc = built.document
    extra = built.scene.add_block("dense", QPointF(0, 500))
    source = next(n for n in doc.design.nodes if doc.design.nodes[n].kind == "embedding")
    roundtrip(built, lambda d: Connect(d, Edge(source, "out", extra, "in")))


def test_set_param_and_merge(built):
    doc = built.document
    cell = next(n for n in doc.design.nodes if doc.design.nodes[n].kind == "gru")
    roundtrip(built, lambda d: SetParam(d, cell, "hidden_size", 100))
    depth = doc.undo_stack.index()
    for value in (70, 71, 72):  # spinning a spin box: one step
        doc.push(SetParam(doc, cell, "hidden_size", value))
    assert doc.undo_stack.count() == depth + 1
    assert doc.design.nodes[cell].params["hidden_size"] == 72
    doc.undo_stack.undo()
    assert doc.design.nodes[cell].params["hidden_size"] == 64


def test_move_several_nodes_is_one_command(built):
    doc = built.document
    ids = list(doc.design.nodes)[:3]
    moves = {n: (doc.design.nodes[n].position, (doc.design.nodes[n].position[0] + 40, 500.0)) for n in ids}
    cmd = roundtrip(built, lambda d: MoveNodes(d, moves))
    assert cmd.text() == "Move 3 blocks"


def test_paste_and_duplicate(built):
    doc = built.document
    ids = list(doc.design.nodes)[:3]
    payload = clipboard.selection_payload(doc.design, ids)
    cmd = roundtrip(built, lambda d: clipboard.paste_command(d, payload))
    assert isinstance(cmd, AddItems) and len(cmd.edges) == 2
    built.scene.select_nodes(ids)
    new = built.duplicate()
    assert len(new) == 3 and not set(new) & set(ids)
    assert built.scene.selected_node_ids() == new


def test_set_name_and_metadata(built):
    roundtrip(built, lambda d: SetName(d, "renamed"))
    roundtrip(built, lambda d: SetMetadata(d, "description", "a new description"))
    built.document.push(SetMetadata(built.document, "task", {"name": "dates"}))
    roundtrip(built, lambda d: SetMetadata(d, "task", None))


def test_window_actions_are_single_commands(built, qtbot):
    doc = built.document
    stack = doc.undo_stack
    before = doc.design.to_dict()
    built.select_all()
    built.delete_selection()
    assert stack.count() == 1 and not doc.design.nodes
    assert built.actionUndo.text().replace("&", "") == "Undo Delete 6 blocks"
    stack.undo()
    assert doc.design.to_dict() == before
    built.scene.select_nodes(list(doc.design.nodes)[:2])
    built.copy()
    pasted = built.paste()
    assert len(pasted) == 2 and stack.index() == 1
    built.scene.select_nodes(pasted)
    built.cut()
    assert not set(pasted) & set(doc.design.nodes)
    stack.undo()
    stack.undo()
    assert doc.design.to_dict() == before


def random_edit(window, rng: random.Random) -> None:
    doc, scene = window.document, window.scene
    design = doc.design
    nodes = list(design.nodes)
    ops = ["add", "add"]
    if nodes:
        ops += ["remove", "param", "param", "move", "move_many", "connect", "connect", "connect", "duplicate"]
    if design.edges:
        ops += ["disconnect"]
    ops += ["name", "meta"]
    op = rng.choice(ops)
    if op == "add":
        scene.add_block(rng.choice(list(BLOCKS)), QPointF(rng.uniform(-400, 800), rng.uniform(-300, 600)))
    elif op == "remove":
        scene.select_nodes(rng.sample(nodes, k=min(len(nodes), rng.randint(1, 2))))
        window.delete_selection()
    elif op == "param":
        node = design.nodes[rng.choice(nodes)]
        if not node.spec.params:
            return
        spec = rng.choice(node.spec.params)
        if spec.type is bool:
            value = not node.params[spec.name]
        elif spec.choices:
            value = rng.choice(spec.choices)
        elif spec.type is int:
            value = rng.randint(int(spec.minimum), int(min(spec.maximum, spec.minimum + 50)))
        else:
            value = round(rng.uniform(spec.minimum, spec.maximum), 2)
        scene.select_nodes([node.id])
        window.inspector.apply_edit(spec.name, value)
    elif op in ("move", "move_many"):
        chosen = rng.sample(nodes, k=1 if op == "move" else min(len(nodes), 3))
        moves = {n: (design.nodes[n].position, (rng.randrange(-20, 40) * 20.0, rng.randrange(-20, 40) * 20.0))
                 for n in chosen}
        doc.push(MoveNodes(doc, moves))
    elif op == "connect":
        src = design.nodes[rng.choice(nodes)]
        dst = design.nodes[rng.choice(nodes)]
        if src.spec.outputs and dst.spec.inputs:
            scene.try_connect(src.id, rng.choice(src.spec.outputs).name, dst.id, rng.choice(dst.spec.inputs).name)
    elif op == "disconnect":
        scene.clearSelection()
        scene.edges[rng.choice(design.edges)].setSelected(True)
        window.delete_selection()
    elif op == "duplicate":
        scene.select_nodes(rng.sample(nodes, k=min(len(nodes), 2)))
        window.duplicate()
    elif op == "name":
        doc.push(SetName(doc, f"design-{rng.randint(0, 99)}"))
    elif op == "meta":
        doc.push(SetMetadata(doc, rng.choice(["description", "task"]), rng.choice([None, "x", {"n": 1}])))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fifty_random_edits_undo_to_the_empty_document(window, seed):
    rng = random.Random(seed)
    doc, stack = window.document, window.document.undo_stack
    empty = Design().to_dict()
    assert doc.design.to_dict() == empty
    snapshots = []
    while stack.count() < 50:
        index = stack.index()
        random_edit(window, rng)
        if stack.index() != index:
            snapshots.append(doc.design.to_dict())
            assert_canvas_mirrors(window)
    final = doc.design.to_dict()
    assert final == snapshots[-1]
    while stack.canUndo():
        stack.undo()
    assert doc.design.to_dict() == empty
    assert_canvas_mirrors(window)
    assert not window.scene.nodes and not window.scene.edges
    while stack.canRedo():
        stack.redo()
    assert doc.design.to_dict() == final
    assert_canvas_mirrors(window)
