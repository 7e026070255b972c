"""Attention in the window: the training panel's attention plot fills from a probe trace (and from a
real run), the beam explorer's strip shows the selected hypothesis node's weights over the source."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from designer.beam import BeamPanel
from designer.training.attention_plot import AttentionPlot
from designer.training.history import RunHistory
from designer.training.live_feed import TrainingUpdate
from designer.training.probe_inputs import ProbeInputs
from engine import template
from engine.data import get_task
from engine.model.compiler import compile_design
from engine.training.events import ATTENTION_ENTROPY, summarize_probe
from engine.training.probes import probe
from engine.training.samples import probe_labels


def _attending(task, attention: str = "additive", seed: int = 0):  # noqa: ANN001, ANN202
    torch.manual_seed(seed)
    design = template("encoder-decoder", attention=attention, hidden_size=16, embed_dim=8, bidirectional=False,
                      src_vocab=len(task.source_vocab), tgt_vocab=len(task.target_vocab), max_len=8)
    design.set_metadata("task", task.metadata())
    return design, compile_design(design).eval()


def _update(step: int, trace: dict) -> TrainingUpdate:
    empty = np.empty(0)
    return TrainingUpdate(empty.astype(int), empty, empty, empty, empty.astype(int),
                          probes=[summarize_probe(step, trace)], trace=trace, trace_step=step)


def test_the_attention_plot_fills_from_a_probe_trace(qtbot):
    task = get_task("dates", train_size=16, val_size=16)
    _, model = _attending(task)
    batch = task.probe_batch(3)
    inputs = ProbeInputs.from_labels(probe_labels(task, batch))
    history = RunHistory()
    for step in (10, 20):
        trace = probe(model, batch, gradients=False)
        history.add(_update(step, trace))
    plot = AttentionPlot()
    qtbot.addWidget(plot)
    plot.resize(700, 300)
    plot.show()
    assert plot.show_probe(history.trace, 1, inputs, history)
    assert plot.isVisible()
    src, tgt = int(batch.lengths[1]), int(batch.y_mask[1].sum())
    assert plot.matrix.values.shape == (src, tgt)  # source along x, target down y
    want = trace["decoder"][0]["forward"]["attention"][1, :tgt, :src]
    np.testing.assert_allclose(plot.matrix.values.T, want, atol=1e-6)
    assert plot.source_labels == inputs.source_labels[1][:src]
    assert plot.target_labels == inputs.target_out[1][:tgt]
    ticks = plot.matrix.plot.getAxis("left")._tickLevels[0]
    assert {label for _, label in ticks} <= set(plot.target_labels)  # target tokens label the rows
    x, y = plot.entropy_curve.getData()
    assert list(x) == [10, 20]
    entropy = history.probes[-1].gate_means[("decoder", 0, "forward")][ATTENTION_ENTROPY]
    assert y[-1] == pytest.approx(entropy)
    text = plot.read_out(0, 0)
    assert f"writes “{plot.target_labels[0]}”" in text and f"reads “{plot.source_labels[0]}”" in text

    # a design that does not attend: nothing to show (the panel then hides the attention page)
    none_design = template("encoder-decoder", hidden_size=16, embed_dim=8, src_vocab=len(task.source_vocab))
    plain = probe(compile_design(none_design), batch, gradients=False)
    assert not plot.show_probe(plain, 0, inputs, history)
    assert plot.decoder is None


def test_a_run_of_an_attending_design_shows_its_attention_in_the_training_panel(window, qtbot):
    from test_training_panel import run_to_end, show_panel

    task = get_task("reverse", train_size=128, val_size=16, max_length=6)
    design, _ = _attending(task)
    design.metadata["task"] = {"name": "reverse", "train_size": 128, "val_size": 16, "max_length": 6}
    design.metadata["training"] = {"steps": 10, "batch_size": 16, "lr": 0.01, "eval_every": 10, "probe_every": 5}
    window.set_design(design)
    show_panel(window)
    panel = window.training_panel
    run_to_end(qtbot, window)
    plot = panel.attention_plot
    tabs = panel.plot_tabs
    qtbot.waitUntil(lambda: tabs.isTabVisible(tabs.indexOf(plot)), timeout=5000)  # the attention page is offered
    inputs = panel.probe_inputs
    seq = panel.picker.sequence_index
    assert plot.source_labels == inputs.source_labels[seq]
    assert plot.target_labels == inputs.target_out[seq]
    assert plot.matrix.values.shape == (len(inputs.source_labels[seq]), len(inputs.target_out[seq]))
    assert len(plot.entropy_curve.getData()[0]) == len(panel.history.probes) >= 2


@pytest.fixture
def beam_panel(qtbot):  # noqa: ANN001, ANN201
    def make(attention: str) -> BeamPanel:
        task = get_task("reverse", symbols=4, min_length=3, max_length=5, train_size=64, val_size=8, seed=0)
        design, model = _attending(task, attention) if attention != "none" else (None, None)
        if model is None:
            torch.manual_seed(0)
            design = template("encoder-decoder", hidden_size=16, embed_dim=8, bidirectional=False,
                              src_vocab=len(task.source_vocab), tgt_vocab=len(task.target_vocab), max_len=8)
            model = compile_design(design).eval()
        record = SimpleNamespace(model=model, task=task, design_hash=design.structure_hash(), checkpoint_path=None,
                                 metrics={})
        p = BeamPanel()
        qtbot.addWidget(p)
        p.set_animation_ms(0)
        p.resize(1100, 480)
        p.show()
        qtbot.waitExposed(p)
        assert p.set_trained(record)
        p.controls.set_settings(beam_width=3, candidates=2, quiet=True)
        assert p.choose_example(0)
        return p

    return make


def test_the_beam_strip_shows_the_selected_nodes_attention_over_the_source(beam_panel):
    panel = beam_panel("general")
    strip = panel.attention_strip
    panel.step()
    panel.step()
    search = panel.search
    source = [panel.beam_model.source_vocab.token(int(i)) for i in panel.source.x.tolist()[:panel.source.length]]
    best = search.beam[0]
    assert strip.isVisible() and strip.node_id == best  # nothing selected: the best in the beam
    assert strip.tokens == source
    pruned = next(n for n, a in search.tree.nodes(data=True) if a["status"] == "pruned" and a["depth"] == 2)
    assert panel.select_node(pruned)
    assert strip.node_id == pruned
    np.testing.assert_allclose(strip.weights, search.tree.nodes[pruned]["attention"], atol=1e-9)
    assert sum(strip.weights) == pytest.approx(1.0, abs=1e-5)
    assert f"“{search.tree.nodes[pruned]['text']}”" in strip.caption.text()
    panel.step()
    assert strip.node_id == pruned  # a selection stays while the tree holds it
    panel.view.node_clicked.emit(search.root)  # clicking the root (a what-if from the start)
    assert strip.node_id == search.root and strip.weights == []
    assert "no attention recorded" in strip.caption.text()


def test_the_beam_strip_stays_hidden_for_a_model_without_attention(beam_panel):
    panel = beam_panel("none")
    panel.step()
    assert not panel.select_node(panel.search.beam[0])
    assert not panel.attention_strip.isVisible()


def test_the_inspector_chooses_the_attention_and_the_problems_list_explains_the_wire(window):  # noqa: ANN001
    doc = window.document
    doc.new(template("encoder-decoder", hidden_size=16, embed_dim=8))
    window.scene.select_nodes(["decoder"])
    combo = window.inspector.editors["attention"]
    titles = [combo.itemText(i) for i in range(combo.count())]
    assert titles == ["None (state only)", "Additive (Bahdanau)", "Dot (Luong)", "General (Luong)"]
    assert "memory" in window.scene.nodes["decoder"].inputs  # the port the encoder's steps plug into
    combo.setCurrentIndex(titles.index("Additive (Bahdanau)"))
    assert doc.design.nodes["decoder"].params["attention"] == "additive"
    problem = next(p for p in doc.report.errors if p.port == "memory")  # attends, but nothing is wired
    assert '"decoder"' in problem.message and '"encoder"' in problem.message
    doc.undo_stack.undo()
    assert doc.design.nodes["decoder"].params["attention"] == "none" and doc.report.ok
