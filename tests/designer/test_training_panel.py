"""Training from the window: a run fills every live plot, Stop / Pause / close behave, a NaN run
ends with a readable message and the window keeps working, the design is locked meanwhile.

Every run is a process of its own (tests/designer/test_run_process.py checks that side) and
small (an 8-unit LSTM on 12-step adding sequences, a few dozen steps), so each takes a second
or two on one CPU core."""
from __future__ import annotations

import numpy as np
import pytest
from designer_helpers import edit
from PySide6.QtCore import QPointF, Qt

from designer.training.session import TrainedModel
from engine.document.design import Design
from engine.document.design_file import load_design

EXAMPLE = "assets/examples/adding-lstm.rnnd"
STEPS = 30
SEQ_LEN = 12
HIDDEN = 8


def small_design(steps: int = STEPS, **training) -> Design:  # noqa: ANN003
    """The many-to-one example, shrunk so a run takes seconds."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    design = load_design(root / EXAMPLE)
    design.set_param("lstm", "hidden_size", HIDDEN)
    design.metadata["task"] = {"name": "adding", "seq_len": SEQ_LEN, "train_size": 256, "val_size": 32}
    design.metadata["training"] = {"optimizer": "adam", "lr": 0.01, "batch_size": 16, "steps": steps,
                                   "clip": 1.0, "seed": 0, "eval_every": 10, "probe_every": 10, **training}
    return design


@pytest.fixture
def panel(window):  # noqa: ANN001
    window.set_design(small_design())
    show_panel(window)
    return window.training_panel


def show_panel(window) -> None:  # noqa: ANN001
    """Bring the training dock to the front at a usable height, as pressing Train does."""
    dock = window.docks["training"]
    dock.raise_()
    window.resizeDocks([dock], [520], Qt.Orientation.Vertical)


def run_to_end(qtbot, window, timeout: int = 60_000):  # noqa: ANN001, ANN201
    """Press Train and wait for the run's end; returns the RunOutcome."""
    with qtbot.waitSignal(window.training_panel.runFinished, timeout=timeout) as blocker:
        window.actionTrain.trigger()
    return blocker.args[0]


def wait_for_step(qtbot, panel, step: int, timeout: int = 30_000) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: panel.history.step >= step, timeout=timeout)


def test_a_run_fills_every_plot_with_the_probes_shape(window, panel, qtbot, dialogs):
    trained: list[TrainedModel] = []
    panel.modelTrained.connect(trained.append)
    outcome = run_to_end(qtbot, window)
    assert outcome.result["status"] == "finished" and outcome.result["step"] == STEPS
    assert not dialogs.texts("critical")  # the beam explorer hears of a classifier's run without a dialog
    assert panel.controller.process is None  # the run's process was waited for

    # loss: one point per logged step, validations every 10 steps
    x, y = panel.loss_plot.train_curve.xData, panel.loss_plot.train_curve.yData
    assert list(x) == list(range(1, STEPS + 1)) and np.isfinite(y).all()
    assert list(panel.loss_plot.val_curve.xData) == [10, 20, 30]
    assert panel.loss_plot.metric_names == ["mse"]

    # gates, states and gradients: arrays of the probe's shape (time steps × units)
    trace = panel.history.trace["lstm"][0]["forward"]
    assert trace["forget"].shape[1:] == (SEQ_LEN, HIDDEN)
    gates = panel.gate_plot
    assert gates.gates == ("input", "forget", "cell", "output")
    for slot, gate in zip(gates.slots, gates.gates):
        assert slot.values.shape == (SEQ_LEN, HIDDEN)
        np.testing.assert_allclose(slot.values, trace[gate][0], rtol=1e-6)
        assert slot.levels == ((0.0, 1.0) if gate != "cell" else (-1.0, 1.0))
    assert panel.state_plot.cell.values.shape == (SEQ_LEN, HIDDEN)
    assert panel.state_plot.hidden.values.shape == (SEQ_LEN, HIDDEN)
    probes = 1 + STEPS // 10  # the untrained state, then every 10 steps
    assert len(panel.gradient_plot.mean_curve.yData) == SEQ_LEN
    assert panel.gradient_plot.history.values.shape == (SEQ_LEN, probes)
    assert len(gates.mean_curves["forget"].yData) == probes

    # the end: metrics, sample predictions, a usable model for the beam explorer
    assert "mean squared error" in panel.results.metrics.text()
    assert panel.results.samples.rowCount() == 5
    assert trained and trained[0].step == STEPS
    assert trained[0].checkpoint_path == outcome.run_dir / "latest.safetensors"  # loaded from the run's folder
    assert trained[0].design_hash == window.document.design.structure_hash()
    assert set(trained[0].metrics) == {"loss", "mse"}


def test_stop_ends_the_run_within_a_second(window, qtbot):
    window.set_design(small_design(steps=100_000))
    panel = window.training_panel
    window.actionTrain.trigger()
    wait_for_step(qtbot, panel, 3)
    assert window.actionStop.isEnabled() and not window.actionTrain.isEnabled()
    with qtbot.waitSignal(panel.runFinished, timeout=1000) as blocker:
        window.actionStop.trigger()
    assert blocker.args[0].result["status"] == "stopped"
    assert window.actionTrain.isEnabled() and not window.actionStop.isEnabled()
    assert panel.controller.process is None


def test_pause_holds_the_step_count(window, qtbot):
    window.set_design(small_design(steps=100_000))
    panel = window.training_panel
    panel.start()
    wait_for_step(qtbot, panel, 3)
    panel.toggle_pause()
    assert panel.pause_button.text() == "Resume"
    qtbot.wait(400)  # the batch in flight ends and its update arrives
    held = panel.controller.step
    assert panel.history.step == held  # every step taken is on the plot
    qtbot.wait(600)
    assert panel.controller.step == held and panel.history.step == held
    assert "Paused at step" in panel.status_text
    panel.toggle_pause()
    wait_for_step(qtbot, panel, held + 3)
    with qtbot.waitSignal(panel.runFinished, timeout=5000):
        panel.stop()


def test_closing_the_window_during_a_run_ends_its_process(window, qtbot):
    window.set_design(small_design(steps=100_000))
    panel = window.training_panel
    panel.start()
    wait_for_step(qtbot, panel, 2)
    process = panel.controller.process
    assert process is not None and process.alive
    window.document.undo_stack.setClean()
    assert window.close()
    assert process.poll() is not None  # ended and waited for
    assert panel.controller.process is None and panel.controller.pool.spare is None


def test_an_absurd_learning_rate_ends_with_a_message_and_the_window_keeps_working(window, dialogs, qtbot):
    window.set_design(small_design(optimizer="sgd", lr=1e6, clip=0))
    panel = window.training_panel
    with qtbot.waitSignal(panel.runFailed, timeout=30_000) as blocker:
        window.actionTrain.trigger()
    message = blocker.args[0]
    assert "the loss became" in message and "lower the learning rate" in message
    assert message in dialogs.texts("warning")
    assert panel.status_text == message
    assert panel.controller.process is None and window.actionTrain.isEnabled()
    assert window.palette.isEnabled()  # the design is editable again

    panel.form.optimizer.setCurrentText("adam")
    panel.form.lr.setCurrentText("0.01")
    with qtbot.waitSignal(panel.runFinished, timeout=60_000) as blocker:
        window.actionTrain.trigger()
        assert "weights were not usable: training starts from fresh weights" in panel.status_text
    assert blocker.args[0].result["status"] == "finished"


def test_a_bad_learning_rate_is_refused_before_anything_starts(window, panel):
    panel.form.lr.setCurrentText("fast")
    assert not panel.start()
    assert 'learning rate "fast"' in panel.status_text and not panel.running


def test_the_design_is_locked_while_training(window, qtbot):
    window.set_design(small_design(steps=100_000))
    panel, doc = window.training_panel, window.document
    before = doc.design.to_dict()
    panel.start()
    wait_for_step(qtbot, panel, 1)
    banner = window.view.lock_banner  # the lock is the document's state; the canvas shows it
    assert not doc.editable and banner.isVisible() and "stop it to change" in banner.text()
    assert not window.palette.isEnabled() and not window.inspector.isEnabled()
    assert not window.actionDelete.isEnabled() and not window.actionUndo.isEnabled()
    window.scene.add_block("gru", QPointF(0, 400))  # what a drop or the canvas menu calls
    window.scene.select_nodes(["last"])
    window.delete_selection()
    assert doc.design.to_dict() == before and doc.refusals == 2
    item = window.scene.nodes["input"]  # moving a block does not change the model: allowed
    start = QPointF(item.pos())
    item.setPos(start + QPointF(40, 0))
    window.scene.commit_moves({"input": start})
    assert doc.design.nodes["input"].position == (start.x() + 40, start.y())
    with qtbot.waitSignal(panel.runFinished, timeout=5000):
        panel.stop()
    assert doc.editable and not banner.isVisible() and window.palette.isEnabled() and window.inspector.isEnabled()
    window.scene.select_nodes(["last"])
    window.delete_selection()
    assert "last" not in doc.design.nodes


def test_start_again_continues_and_an_edit_starts_fresh(window, panel, qtbot):
    run_to_end(qtbot, window)
    assert "trained for 30 steps" in panel.weights_note.text()
    outcome = run_to_end(qtbot, window)
    assert outcome.result["step"] == 2 * STEPS
    assert panel.history.step == 2 * STEPS and len(panel.loss_plot.train_curve.xData) == 2 * STEPS

    edit(window, "lstm", hidden_size=HIDDEN + 4)
    assert "design changed" in panel.weights_note.text()
    with qtbot.waitSignal(panel.controller.began, timeout=30_000):
        window.actionTrain.trigger()
    # said when the run starts, and still said once it trains
    assert "The design changed since the last run: training starts from fresh weights" in panel.status_text
    assert "parameters" in panel.status_text
    with qtbot.waitSignal(panel.runFinished, timeout=60_000) as blocker:
        pass
    assert blocker.args[0].result["step"] == STEPS
    assert len(panel.loss_plot.train_curve.xData) == STEPS  # a fresh history
    assert panel.gate_plot.slots[0].values.shape == (SEQ_LEN, HIDDEN + 4)


def test_hovering_a_heatmap_cell_reads_it_out(window, panel, qtbot):
    run_to_end(qtbot, window)
    slot = panel.gate_plot.slots[1]  # the forget gate
    pos = slot.plot.getViewBox().mapViewToScene(QPointF(3.5, 2.5))
    lines = panel.gate_plot.hover_at(pos).splitlines()
    assert lines[0].startswith("t = 3, x = ")  # the step and the input read there
    assert lines[1:] == ["unit 2", f"forget gate fₜ = {float(slot.values[3, 2]):.3f}"]
    assert panel.gate_plot.hover_at(QPointF(-1000, -1000)) == ""


def test_selecting_a_block_on_the_canvas_selects_its_probes(window, qtbot):
    design = small_design()
    design.add_node("gru", {"hidden_size": 6}, (300.0, 300.0), "gru")
    design.disconnect(next(e for e in design.edges if e.source == "input"))
    design.connect("input", "out", "gru", "in")
    design.connect("gru", "out", "lstm", "in")
    window.set_design(design)
    panel = window.training_panel
    run_to_end(qtbot, window)
    window.scene.select_nodes(["gru"])
    assert panel.picker.key == ("gru", 0, "forward")
    assert panel.gate_plot.gates == ("reset", "update", "candidate")
    assert panel.gate_plot.slots[0].values.shape == (SEQ_LEN, 6)
    assert panel.state_plot.cell.plot not in panel.state_plot.ci.items  # a GRU has no c_t
    window.scene.select_nodes(["lstm"])
    assert panel.picker.key == ("lstm", 0, "forward")
    assert panel.gate_plot.gates == ("input", "forget", "cell", "output")
    window.scene.select_nodes(["head"])  # not recurrent: the probes stay
    assert panel.picker.key[0] == "lstm"


def test_a_design_with_problems_does_not_start(window, qtbot):
    window.set_design(Design())
    panel = window.training_panel
    window.actionTrain.trigger()
    assert not panel.running
    assert "problem" in panel.status_text and "fix" in panel.status_text


def test_checkpoint_beside_the_design_and_metrics_csv(window, panel, qtbot, tmp_path):
    assert window.save_as(tmp_path / "adding.rnnd")
    run_to_end(qtbot, window)
    saved = panel.save_checkpoint()
    assert saved == tmp_path / f"adding-step{STEPS}.safetensors"
    assert saved.exists() and saved.with_suffix(".json").exists()

    rows = panel.export_metrics(tmp_path / "metrics.csv").read_text().splitlines()
    assert rows[0] == "step,epoch,seconds,loss,grad_norm,lr,val_loss,val_mse"
    assert len(rows) == 1 + STEPS + 3

    panel.reset_weights()
    loaded: list[TrainedModel] = []
    panel.modelTrained.connect(loaded.append)
    panel.load_checkpoint(saved)
    assert loaded and loaded[0].checkpoint_path == saved and loaded[0].step == STEPS
    assert "Start goes on" in panel.weights_note.text()
    outcome = run_to_end(qtbot, window)
    assert outcome.result["step"] == 2 * STEPS  # went on from the checkpoint


def test_a_checkpoint_of_another_design_is_refused_by_name(window, panel, qtbot, tmp_path, dialogs):
    assert window.save_as(tmp_path / "adding.rnnd")
    run_to_end(qtbot, window)
    saved = panel.save_checkpoint()
    edit(window, "lstm", hidden_size=HIDDEN + 2)
    assert panel.load_checkpoint(saved) is None
    assert 'node "lstm" parameter "hidden_size"' in dialogs.texts("warning")[-1]


def test_a_data_file_the_engine_refuses_is_reported_and_the_task_stays(window, panel, tmp_path, dialogs):
    bad = tmp_path / "labels.csv"
    bad.write_text("label,text\nspam,buy now\nham,see you, then, at noon\n")
    assert not panel.form.choose_file(str(bad))
    assert "line 3" in dialogs.texts("warning")[-1] and "labels.csv" in dialogs.texts("warning")[-1]
    assert panel.form.task_choice().name == "adding"
    good = tmp_path / "series.csv"
    good.write_text("\n".join(f"{np.sin(i / 5):.4f}" for i in range(200)))
    assert panel.form.choose_file(str(good))
    assert panel.form.task_choice().path == str(good)


def test_the_device_list_loads_on_demand(window):
    """The window opened without torch (tests/designer/test_window.py); the device list loads on demand."""
    combo = window.training_panel.form.device
    assert [combo.itemData(i) for i in range(combo.count())] == ["auto", "cpu"]
    combo.ensure_loaded()
    names = [combo.itemData(i) for i in range(combo.count())]
    assert names[:2] == ["auto", "cpu"]
    assert all(n.startswith(("cuda:", "mps")) for n in names[2:])


def test_an_encoder_decoder_labels_its_decoder_with_the_target_it_reads(window, qtbot):
    from engine.document.templates import template

    design = template("encoder-decoder")
    for node, name, value in (("encoder", "hidden_size", 8), ("bridge", "hidden_size", 8),
                              ("decoder", "hidden_size", 8), ("src_embed", "embed_dim", 8),
                              ("decoder", "embed_dim", 8)):
        design.set_param(node, name, value)
    design.metadata["task"] = {"name": "reverse", "train_size": 128, "val_size": 16, "max_length": 6}
    design.metadata["training"] = {"steps": 10, "batch_size": 16, "lr": 0.01, "eval_every": 10, "probe_every": 5}
    window.set_design(design)
    show_panel(window)
    panel = window.training_panel
    run_to_end(qtbot, window)
    assert panel.loss_plot.metric_names == ["token_accuracy", "exact_match"]
    window.scene.select_nodes(["decoder"])
    assert panel.picker.key == ("decoder", 0, "forward")
    inputs = panel.probe_inputs
    labels = panel.gate_plot.slots[0].labels
    assert labels[0] == "<bos>" and labels[1:] == inputs.target_out[0][:len(labels) - 1]
    window.scene.select_nodes(["encoder"])
    assert panel.picker.direction.count() == 2  # bidirectional: forward and backward
    assert panel.gate_plot.slots[0].labels == inputs.source_labels[0]
    marks = [panel.results.samples.item(r, 3).text() for r in range(panel.results.samples.rowCount())]
    assert len(marks) == 5 and set(marks) <= {"✓", "✗"}
