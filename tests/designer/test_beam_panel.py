"""The beam explorer on a decoder trained in the test (a GRU encoder-decoder that learns to reverse
short strings in a few seconds): what the tree shows is exactly the engine's tree, step by step,
after Back, Run to End and a forced what-if; the lists show the engine's beam and n-best; exports
write real files; the window gets the panel, its actions and its menu."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QMenu

from designer.beam import BeamPanel
from designer.beam.tree_items import BeamEdgeItem, BeamNodeItem
from engine import template
from engine.beam import BeamSearch, greedy_search
from engine.data import get_task
from engine.training.checkpoint import save_checkpoint
from engine.training.trainer import Trainer, TrainSettings, build_model

WIDTH, CANDIDATES = 3, 2


@pytest.fixture(scope="module")
def reverse():
    """A trained-model record like the training panel's ``TrainedModel``, and its design."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model trains fastest on one thread
    try:
        task = get_task("reverse", symbols=4, min_length=2, max_length=5, train_size=2000, val_size=50, seed=0)
        design = template("encoder-decoder", cell="gru", hidden_size=48, src_vocab=len(task.source_vocab),
                          tgt_vocab=len(task.target_vocab), embed_dim=16, max_len=8, bidirectional=False)
        design.set_metadata("task", task.metadata())
        model = build_model(design, 0)
        settings = TrainSettings(lr=0.01, batch_size=64, steps=150, device="cpu", probe_every=0, eval_every=150)
        result = Trainer(model, task, settings, design=design).run()
    finally:
        torch.set_num_threads(threads)
    assert result["val"]["token_accuracy"] > 0.6  # it learned something: the search has a shape
    record = SimpleNamespace(model=model.eval(), task=task, design_hash=design.structure_hash(), checkpoint_path=None,
                             metrics=result["val"])
    return record, design


@pytest.fixture
def panel(qtbot, reverse):  # noqa: ANN001
    record, _ = reverse
    p = BeamPanel()
    qtbot.addWidget(p)
    p.set_animation_ms(0)
    p.resize(1200, 520)
    p.show()
    qtbot.waitExposed(p)
    assert p.set_trained(record)
    p.controls.set_settings(beam_width=WIDTH, candidates=CANDIDATES, quiet=True)
    assert p.choose_example(0)
    return p


def engine_search(panel: BeamPanel, steps: int | None = 0) -> BeamSearch:
    """The same search, run by the engine alone."""
    s = panel.controls.settings()
    bs = BeamSearch(panel.beam_model.model, panel.source.x, panel.source.length, beam_width=s.beam_width,
                    max_len=s.max_len, alpha=s.alpha, keep_pruned=s.candidates, vocab=panel.beam_model.target_vocab,
                    min_len=s.min_len, banned=panel.banned_tokens())
    bs.run(max_steps=steps)
    return bs


def shown(panel: BeamPanel) -> dict[int, tuple]:
    """What the tree shows: one entry per node item."""
    nodes = [i for i in panel.scene.items() if isinstance(i, BeamNodeItem)]
    assert len(nodes) == len(panel.scene.nodes)
    return {i.node_id: (i.look.parent, i.look.token, i.look.status, i.look.pruned_at, i.look.beam_rank) for i in nodes}


def expected(bs: BeamSearch) -> dict[int, tuple]:
    rank = {n: r + 1 for r, n in enumerate(bs.beam)}
    return {n: (a["parent"], a["token"], a["status"], a["pruned_at"], rank.get(n)) for n, a in bs.tree.nodes(data=True)}


def edge_count(panel: BeamPanel) -> int:
    return sum(isinstance(i, BeamEdgeItem) for i in panel.scene.items())


def test_stepping_k_times_shows_the_engines_tree(panel):
    assert shown(panel) == expected(engine_search(panel, 0))  # just the start token
    for k in range(1, 6):
        panel.actionStep.trigger()
        ref = engine_search(panel, k)
        assert shown(panel) == expected(ref)
        assert edge_count(panel) == ref.tree.number_of_edges()
        assert {s for *_, s, _p, _r in shown(panel).values()} <= {"alive", "finished", "pruned"}
        if ref.done:
            break
        assert panel.beam_list.nodes() == ref.beam  # the beam ranked beside the tree
        assert f"Step {k}" in panel.status_label.text()


def test_back_restores_the_previous_tree(panel):
    assert not panel.actionBack.isEnabled()
    for _ in range(3):
        panel.step()
    before = shown(panel)
    positions = {n: (i.pos().x(), i.pos().y()) for n, i in panel.scene.nodes.items()}
    panel.step()
    assert shown(panel) != before
    panel.actionBack.trigger()
    assert shown(panel) == before == expected(engine_search(panel, 3))
    assert {n: (i.pos().x(), i.pos().y()) for n, i in panel.scene.nodes.items()} == positions
    panel.actionReset.trigger()
    assert shown(panel) == expected(engine_search(panel, 0))
    assert not panel.back()


def test_run_to_end_shows_the_engines_n_best_in_order(panel):
    panel.actionRun.trigger()
    ref = engine_search(panel, None)
    assert panel.search.done and shown(panel) == expected(ref)
    rows = panel.nbest_list.rows()
    assert len(rows) == len(ref.results) >= 1
    for row, h in zip(rows, ref.results):
        assert row[1].split(" ")[0] == panel.beam_model.show(h.tokens)
        assert row[2] == f"{h.score:.3f}" and row[3] == f"{h.logprob:.3f}"
    assert panel.nbest_list.nodes() == [h.node for h in ref.results]
    finished = [i for i in panel.scene.nodes.values() if i.look.result_rank]
    assert sorted(i.look.result_rank for i in finished) == list(range(1, len(ref.results) + 1))
    assert all(i.look.status == "finished" for i in finished)
    assert not panel.actionStep.isEnabled() and not panel.actionRun.isEnabled()
    s = panel.controls.settings()
    greedy = greedy_search(panel.beam_model.model, panel.source.x.unsqueeze(0), [panel.source.length],
                           max_len=s.max_len, min_len=s.min_len, banned=panel.banned_tokens())[0]
    assert panel.beam_model.show(greedy.tokens) in panel.greedy_label.text()
    assert f"{greedy.logprob:.3f}" in panel.greedy_label.text()
    target = panel.source.target  # the expected output of a validation example is marked
    found = any(panel.beam_model.show(h.tokens) == target for h in ref.results)
    assert any(r[1].endswith("✓") for r in rows) == found


def test_clicking_a_node_forces_decoding_from_it(panel, qtbot):
    panel.step()
    panel.step()
    pruned = [i for i in panel.scene.nodes.values() if i.look.status == "pruned" and i.look.depth == 2]
    assert pruned, "a width-3 search keeps rejected candidates in its tree"
    item = pruned[0]
    prefix = panel.search.path(item.node_id)
    panel.view.centerOn(item)
    at = panel.view.mapFromScene(item.sceneBoundingRect().center())
    assert panel.view.node_at(at) is item
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert panel.search.tree.nodes[item.node_id]["status"] == "alive"
    assert panel.search.beam == [item.node_id] and item.look.forced
    panel.run_to_end()
    results = panel.search.results
    assert results and all(list(h.tokens[:len(prefix)]) == prefix for h in results)
    ref = engine_search(panel, 2)
    ref.force(item.node_id)
    ref.run()
    assert shown(panel) == expected(ref)
    assert [r[2] for r in panel.nbest_list.rows()] == [f"{h.score:.3f}" for h in ref.results]
    text = panel.beam_model.show(prefix)
    assert all(r[1].startswith(text) for r in panel.nbest_list.rows())
    panel.back()  # Run to End was several steps; Back undoes all of them: the tree just after the what-if
    assert panel.search.steps == 3 and panel.search.beam == [item.node_id]
    panel.back()  # and then the what-if itself
    assert panel.search.steps == 2 and shown(panel) == expected(engine_search(panel, 2))


def test_hover_shows_the_cumulative_log_probability(panel, qtbot):
    panel.step()
    panel.step()
    for node_id, _item in panel.scene.nodes.items():
        score = panel.search.tree.nodes[node_id]["score"]
        tip = panel.scene.tooltip_for(node_id)  # what hovering sets as the item's tooltip
        assert f"cumulative log p = <b>{score:.4f}</b>" in tip or node_id == panel.search.root
        if node_id != panel.search.root:
            assert panel.beam_model.show(panel.search.path(node_id)).replace("<", "&lt;") in tip
    leaf = max(panel.scene.nodes.values(), key=lambda i: i.look.depth)
    panel.view.centerOn(leaf)
    qtbot.mouseMove(panel.view.viewport(), panel.view.mapFromScene(leaf.sceneBoundingRect().center()))
    qtbot.waitUntil(lambda: "cumulative log p" in leaf.toolTip(), timeout=2000)  # the hover made its tooltip
    lit = [i.edge.child_item.node_id for i in panel.scene.nodes.values() if i.edge is not None and i.edge.on_path]
    assert sorted(lit) == sorted(n for n in [leaf.node_id, leaf.look.parent] if n != panel.search.root)


def test_export_png_svg_and_json(panel, tmp_path, dialogs):
    panel.step()
    panel.step()
    png = tmp_path / "tree.png"
    assert panel.export_to(png)
    image = QImage(str(png))
    rect = panel.scene.sceneRect()
    assert not image.isNull() and png.stat().st_size > 1000
    assert (image.width(), image.height()) == (round(rect.width()), round(rect.height()))
    assert len({image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}) > 5
    svg = tmp_path / "tree.svg"
    assert panel.export_to(svg)
    assert "<svg" in svg.read_text(encoding="utf-8")[:2000]
    data = json.loads(panel.export_to(tmp_path / "tree.json") and (tmp_path / "tree.json").read_text(encoding="utf-8"))
    assert data["format"] == "rnn-designer-beam-tree" and data["steps"] == 2
    assert len(data["nodes"]) == len(panel.scene.nodes)
    assert not panel.export_to(tmp_path / "tree.gif")
    assert any(".gif" in t for t in dialogs.texts("critical"))


def test_typed_source_and_bad_input(panel, qtbot):
    line = panel.controls.source.lineEdit()
    line.setText("abca")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert panel.source.text == "abca"
    assert panel.source.x.tolist() == panel.beam_model.source_vocab.encode(list("abca"))
    assert not panel.controls.expected.isVisible()  # typed: no expected output
    line.setText("abz")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert "“z”" in panel.status_label.text() and panel.search is not None
    line.setText("   ")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert panel.search is None and "empty" in panel.status_label.text()
    assert not panel.actionStep.isEnabled()
    assert panel.choose_example(1) and panel.controls.expected.isVisible()


def test_changing_settings_searches_again_to_the_same_step(panel):
    panel.step()
    panel.step()
    panel.controls.width_spin.setValue(4)
    assert panel.search.settings.beam_width == 4 and panel.search.steps == 2
    assert shown(panel) == expected(engine_search(panel, 2))
    panel.controls.alpha_spin.setValue(0.7)
    panel.run_to_end()
    ref = engine_search(panel, None)
    assert [h.score for h in panel.search.results] == pytest.approx([h.score for h in ref.results])


def test_new_nodes_animate_in(panel, qtbot):
    panel.set_animation_ms(120)
    added = panel.step()
    assert added and panel.scene.animating
    new = [panel.scene.nodes[n] for n in added]
    assert all(i.opacity() < i.look.opacity for i in new)  # they start faded in their parent
    qtbot.waitUntil(lambda: not panel.scene.animating, timeout=10000)
    for i in new:
        assert i.opacity() == pytest.approx(i.look.opacity)
        assert (i.pos().x(), i.pos().y()) == pytest.approx(panel.scene.layout.positions[i.node_id])
    panel.step()  # a step in the middle of an animation finishes it first
    panel.set_animation_ms(0)
    panel.step()
    assert not panel.scene.animating


def test_window_gets_the_panel_its_actions_and_a_menu(window, reverse, tmp_path, dialogs):
    record, design = reverse
    panel = window.beam_panel  # the window installs it and wires it to the training panel
    panel.set_animation_ms(0)
    assert window.findChild(BeamPanel, "beamPanel") is panel
    assert panel.findChild(type(panel.view), "beamTree") is panel.view
    keys = {name: window.findChild(QAction, name) for name in ("actionBeamStep", "actionBeamBack", "actionBeamRun")}
    assert all(a is not None and not a.shortcut().isEmpty() for a in keys.values())
    assert len({a.shortcut().toString() for a in keys.values()}) == 3
    ours = {a.shortcut().toString() for a in panel.actions()}
    others = [a for a in window.findChildren(QAction) if a not in panel.actions() and not a.shortcut().isEmpty()]
    assert not [a.objectName() for a in others if a.shortcut().toString() in ours]  # no ambiguous keys
    menu = window.findChild(QMenu, "menuBeam")
    assert menu is not None and keys["actionBeamStep"] in menu.actions()
    # a checkpoint of another design is refused, naming why; nothing is lost
    ckpt = tmp_path / "reverse"
    save_checkpoint(ckpt, record.model, design=design, task=record.task.metadata(), metrics=record.metrics)
    assert not panel.load_checkpoint(ckpt.with_suffix(".safetensors"))
    assert panel.beam_model is None and any("structure differs" in t for t in dialogs.texts("critical"))
    # with its own design open, it loads and searches like the trained model
    window.document.set_design(design.copy())
    assert panel.load_checkpoint(ckpt.with_suffix(".safetensors"))
    assert panel.beam_model.checkpoint_path.name == "reverse.safetensors"
    assert not panel.stale_label.isVisibleTo(panel)
    keys["actionBeamRun"].trigger()
    loaded = [h.tokens for h in panel.search.results]
    assert panel.set_trained(record) and panel.choose_example(0)
    panel.run_to_end()
    assert [h.tokens for h in panel.search.results] == loaded
    window.document.set_design(template("encoder-decoder"))  # another design: the model is now stale
    assert panel.stale_label.isVisibleTo(panel)
