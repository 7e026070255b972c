"""The beam explorer as a new user meets it (issue 15): the source box decodes what was typed,
<unk> and an empty output are not offered, the greedy comparison names its real cause, a width-10
tree stays labelled at any zoom (and "Beam only" thins it), Back undoes a whole Run, the toolbar
never overflows at 1440×900, and the header follows the document's file name."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QToolButton
from test_beam_panel import engine_search, expected, reverse, shown  # noqa: F401 (reverse: the trained model)

from designer.beam import BeamPanel, style
from designer.beam.summary import greedy_text
from engine import compile_design, template
from engine.beam import BeamSearch
from engine.data import get_task
from engine.vocab import EOS, UNK


def make_panel(qtbot, record, width: int = 3, candidates: int = 2, size=(1075, 343), example: bool = True) -> BeamPanel:  # noqa: ANN001
    p = BeamPanel()
    qtbot.addWidget(p)
    p.set_animation_ms(0)
    p.resize(*size)  # the beam dock's size in the window at 1440×900
    p.show()
    qtbot.waitExposed(p)
    assert p.set_trained(record)
    p.controls.set_settings(beam_width=width, candidates=candidates, quiet=True)
    assert not example or p.choose_example(0)
    return p


@pytest.fixture
def panel(qtbot, reverse):  # noqa: ANN001, F811
    return make_panel(qtbot, reverse[0])


def untrained(task=None, **sizes):  # noqa: ANN001, ANN003, ANN201
    """An untrained decoder: every token, <unk> and <eos> among them, has a real probability."""
    torch.manual_seed(0)
    design = template("encoder-decoder", cell="gru", hidden_size=16, embed_dim=8, max_len=8, bidirectional=False,
                      **sizes)
    return SimpleNamespace(model=compile_design(design), task=task, design_hash=design.structure_hash(),
                           checkpoint_path=None, metrics={})


# ---------------------------------------------------------------------- the source box
def test_typing_decodes_what_was_typed_and_examples_are_only_suggested(panel, qtbot):
    texts = {e.text for e in panel.controls.examples}
    typed = next(t[:k] for t in texts for k in range(2, len(t)) if t[:k] not in texts)  # "ba" of "bada"
    line = panel.controls.source.lineEdit()
    line.clear()
    qtbot.keyClicks(line, typed)
    assert panel.controls.source.currentText() == typed  # nothing written into the box
    popup = panel.controls.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)  # the examples are offered in a list under it
    offered = [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())]
    assert offered and all(typed in t for t in offered)
    qtbot.keyClick(line, Qt.Key.Key_Return)  # Enter without picking: what was typed
    assert panel.source.text == typed and panel.source.target is None
    assert panel.source.x.tolist() == panel.beam_model.source_vocab.encode(list(typed))
    line.clear()
    qtbot.keyClicks(line, typed)
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    qtbot.keyClick(popup, Qt.Key.Key_Down)  # the user picks the first suggestion
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert panel.source.text == offered[0] and panel.source.target is not None
    assert panel.controls.expected.isVisible()


# ---------------------------------------------------------------------- what may be generated
def test_unk_is_banned_and_no_empty_output_by_default(qtbot):
    task = get_task("reverse", symbols=4, min_length=2, max_length=5, train_size=50, val_size=20, seed=0)
    vocab = len(task.target_vocab)
    p = make_panel(qtbot, untrained(task, src_vocab=len(task.source_vocab), tgt_vocab=vocab), width=3,
                   candidates=vocab)
    assert p.controls.min_len_spin.value() == 1  # the task's targets are never empty
    assert not p.controls.allow_unk.isChecked()

    def first_tokens() -> set[int]:
        p.reset()
        p.step()
        return {a["token"] for _n, a in p.search.tree.nodes(data=True) if a["depth"] == 1}

    tokens = first_tokens()
    assert len(tokens) >= vocab - 4  # every candidate is shown ...
    assert UNK not in tokens and EOS not in tokens  # ... but <unk> and an <eos> at t=1
    assert not p.search.results and not p.nbest_list.rows()
    p.controls.allow_unk.setChecked(True)  # the setting allows it
    assert UNK in first_tokens()
    p.controls.min_len_spin.setValue(0)  # and a user can allow empty outputs
    assert EOS in first_tokens() and p.nbest_list.rows()
    # a model without a task that says its outputs are non-empty: no minimum
    bare = make_panel(qtbot, untrained(None, src_vocab=12, tgt_vocab=9), example=False)
    assert bare.controls.min_len_spin.value() == 0


# ---------------------------------------------------------------------- beam vs greedy
def test_greedy_comparison_names_the_forced_prefix_at_alpha_0(panel):
    panel.step()
    greedy_first = panel.greedy.tokens[0]
    other = next(n for n, a in panel.search.tree.nodes(data=True)
                 if a["depth"] == 1 and a["token"] not in (greedy_first, EOS))
    assert panel.controls.settings().alpha == 0
    assert panel.force(other)
    panel.run_to_end()
    text = panel.greedy_label.text()
    assert "forced" in text and panel.beam_model.show(panel.search.path(other)) in text
    assert "normalis" not in text and "length^" not in text


def test_greedy_comparison_names_length_normalisation_only_when_alpha_is_set(reverse):  # noqa: F811
    record, _ = reverse
    task = record.task
    val = task.split("val")
    x, n = val.x[0, :int(val.lengths[0])], int(val.lengths[0])
    search = BeamSearch(record.model, x, n, beam_width=3, alpha=0.8, vocab=task.target_vocab)
    search.run()
    best = search.results[0]
    other = SimpleNamespace(tokens=list(best.tokens[:-2]) + [EOS], logprob=best.logprob + 1.0)  # shorter, likelier
    text = greedy_text(other, search, lambda t: task.target_vocab.decode(list(t)))
    assert "length^0.8" in text and "forced" not in text


# ---------------------------------------------------------------------- a width-10 tree
def labels_in_view(p: BeamPanel) -> list[tuple[int, str, QRectF]]:
    """Each shown label: its node, its text and where it is on screen."""
    out = []
    vt = p.view.viewportTransform()
    for node, label in p.scene.labels.items():
        if label.isVisible():
            out.append((node, label.text, label.deviceTransform(vt).mapRect(label.box)))
    return out


def assert_legible(p: BeamPanel) -> None:
    labels = labels_in_view(p)
    by_node = {n: t for n, t, _r in labels}
    for label in p.scene.labels.values():
        assert label.font.pixelSize() >= style.LABEL_PX  # the same size on screen at any zoom
    for _n, _t, rect in labels:
        assert rect.height() >= style.LABEL_PX  # not scaled down with the tree
    for i, (_a, _ta, ra) in enumerate(labels):
        for _b, _tb, rb in labels[i + 1:]:
            assert not ra.intersects(rb)  # no label covers another
    kept = [n for n, i in p.scene.nodes.items() if i.look.beam_rank or i.look.result_rank]
    assert kept and all(n in by_node for n in kept)  # the beam (or the n-best) is labelled
    path = p.scene.chosen_path()
    whole = p.beam_model.show(p.search.path(path[-1]))
    assert all(n in by_node for n in path) or any(whole in t for t in by_node.values())  # the chosen path too


def test_width_10_tree_stays_labelled_at_any_zoom(qtbot, reverse):  # noqa: F811
    p = make_panel(qtbot, reverse[0], width=10, candidates=3)
    p.run_to_end()
    p.actionFit.trigger()
    full_zoom = p.view.zoom
    assert full_zoom < style.LABEL_ZOOM  # the boxes' own text is too small to read here
    assert_legible(p)
    p.view.set_zoom(style.ZOOM_MIN)  # as far out as it goes
    assert_legible(p)
    p.view.set_zoom(0.5)
    assert_legible(p)
    p.view.reset_zoom()  # at 100 % the boxes say it all
    assert not labels_in_view(p) and not any(i.labelled for i in p.scene.nodes.values())
    # Beam only: rejected branches older than the last k steps are hidden, and the tree fits larger
    p.header.keep_steps.setValue(1)
    p.actionBeamOnly.trigger()
    steps = p.search.steps
    visible = set(p.scene.visible_nodes())
    assert visible < set(p.scene.nodes) and shown(p) == expected(engine_search(p, None))  # hidden, not lost
    for n in visible:
        a = p.search.tree.nodes[n]
        assert not (a["status"] == "pruned" and a["pruned_at"] <= steps - 1)
    assert all(not p.scene.nodes[n].isVisible() for n in set(p.scene.nodes) - visible)
    p.actionFit.trigger()
    assert p.view.zoom > full_zoom
    assert_legible(p)
    p.header.keep_steps.setValue(0)  # only the lines followed to the end
    assert all(p.search.tree.nodes[n]["status"] != "pruned" for n in p.scene.visible_nodes())
    assert p.view.zoom > 2 * full_zoom  # still fitted: the thinner tree fits larger
    assert_legible(p)
    p.actionBeamOnly.trigger()
    assert set(p.scene.visible_nodes()) == set(p.scene.nodes)


def test_the_view_follows_the_frontier(qtbot, reverse):  # noqa: F811
    p = make_panel(qtbot, reverse[0], width=10, candidates=3)
    for _ in range(6):
        p.step()
        if p.search.done:
            break
        seen = p.view.mapToScene(p.view.viewport().rect()).boundingRect()
        best = p.scene.nodes[p.search.beam[0]]
        assert seen.contains(best.sceneBoundingRect().center())  # the best hypothesis in the beam, in view
        assert p.view.zoom >= style.FOLLOW_ZOOM_MIN - 1e-9  # readable, not shrunk to fit the whole beam
    p.reset()
    p.step()
    p.actionFit.trigger()
    first = p.view.zoom
    while not p.search.done:
        p.step()
        assert p.view.zoom >= min(first, style.FIT_FOLLOW_MIN) - 1e-9  # Fit stops shrinking; it scrolls
        seen = p.view.mapToScene(p.view.viewport().rect()).boundingRect()
        assert seen.intersects(p.scene.frontier_rect())


# ---------------------------------------------------------------------- Back after Run
def test_back_after_run_returns_to_the_tree_before_run(panel):
    panel.step()
    panel.step()
    before = shown(panel)
    panel.actionRun.trigger()
    assert panel.search.done and panel.search.steps > 3
    panel.actionBack.trigger()
    assert panel.search.steps == 2 and shown(panel) == before == expected(engine_search(panel, 2))
    assert panel.actionRun.isEnabled()
    panel.actionBack.trigger()  # and then one step at a time
    assert panel.search.steps == 1 and shown(panel) == expected(engine_search(panel, 1))
    panel.actionRun.trigger()
    panel.controls.alpha_spin.setValue(0.5)  # a change of settings searches again to the same step
    steps = panel.search.steps
    panel.actionBack.trigger()
    assert panel.search.steps == 1 < steps


# ---------------------------------------------------------------------- the window at 1440×900
def beam_in_window(window, qtbot, record):  # noqa: ANN001, ANN201
    window.resize(1440, 900)
    window.reveal_panel("beam")
    p = window.beam_panel
    p.set_animation_ms(0)
    assert p.set_trained(record) and p.choose_example(0)
    qtbot.waitUntil(lambda: p.view.isVisible(), timeout=2000)
    return p


def test_the_stale_note_never_pushes_the_toolbar_into_an_overflow(window, qtbot, reverse):  # noqa: F811
    record, design = reverse
    window.document.set_design(design.copy())
    p = beam_in_window(window, qtbot, record)
    assert not p.stale_label.isVisible()
    window.document.set_design(template("encoder-decoder"))  # another design: the model is now stale
    qtbot.waitUntil(p.stale_label.isVisible, timeout=2000)
    bar = p.header.bar
    qtbot.waitUntil(lambda: bar.width() >= bar.sizeHint().width(), timeout=2000)
    assert not p.header.overflowing()
    for action in (p.actionZoomOut, p.actionZoomIn, p.actionFit, p.actionBeamOnly):
        button = bar.widgetForAction(action)
        assert button is not None and button.isVisible() and bar.rect().contains(button.geometry())
    export = p.findChild(QToolButton, "beamExport")
    assert export.isVisible() and bar.rect().contains(export.geometry())
    note_top = p.stale_label.mapTo(p, p.stale_label.rect().topLeft()).y()
    assert note_top >= bar.mapTo(p, bar.rect().bottomLeft()).y()  # the note has a line of its own


def test_the_header_follows_the_document_file_name(window, qtbot, reverse, tmp_path):  # noqa: F811
    record, design = reverse
    window.document.set_design(design.copy())
    p = beam_in_window(window, qtbot, record)
    assert p.model_label.full_text().startswith(window.document.display_name())
    assert window.save_as(tmp_path / "my-reverser.rnnd")
    assert p.model_label.full_text().startswith("my-reverser.rnnd")
    assert "untitled" not in p.model_label.full_text()
    window.document.new()  # another document: the model keeps its own name, not the new file's
    assert not p.model_label.full_text().startswith("my-reverser.rnnd")
