"""Runs are processes, the window watches them: Train starts a process other than the window's,
Stop ends it and it is gone, a SIGKILL mid-run leaves a working window and the last checkpoint
for the beam explorer, Continue goes on at the next step with the optimizer's state, and File ▸
Watch Run follows a run ``rnn-designer train`` writes from a terminal until its end."""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QSpinBox
from test_training_panel import run_to_end, show_panel, small_design, wait_for_step

from designer.training.run_list import load_series
from engine.document.design_file import save_design
from engine.training.checkpoint import load_checkpoint


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_train_starts_a_process_of_its_own_and_stop_ends_it(window, qtbot):
    window.set_design(small_design(steps=100_000))
    show_panel(window)
    panel = window.training_panel
    window.actionTrain.trigger()
    wait_for_step(qtbot, panel, 5)
    pid = panel.controller.pid
    assert pid is not None and pid != os.getpid()
    assert "engine.training.run" in _cmdline(pid)
    curve = panel.loss_plot.train_curve  # the loss plot fills from the other process, drawn within DRAW_MS
    qtbot.waitUntil(lambda: curve.xData is not None and len(curve.xData) >= 5, timeout=2000)
    with qtbot.waitSignal(panel.runFinished, timeout=10_000) as blocker:
        window.actionStop.trigger()
    outcome = blocker.args[0]
    assert outcome.result["status"] == "stopped"
    assert _gone(pid) and panel.controller.process is None
    assert load_checkpoint(outcome.run_dir / "latest").step == outcome.result["step"]  # kept at the stop
    assert panel.history.step == outcome.result["step"]  # every step taken is on the plot


def _seq2seq():  # noqa: ANN202
    from engine.document.templates import template

    design = template("encoder-decoder")
    for node, name, value in (("encoder", "hidden_size", 8), ("bridge", "hidden_size", 8),
                              ("decoder", "hidden_size", 8), ("src_embed", "embed_dim", 8),
                              ("decoder", "embed_dim", 8)):
        design.set_param(node, name, value)
    design.metadata["task"] = {"name": "reverse", "train_size": 128, "val_size": 16, "max_length": 6}
    design.metadata["training"] = {"steps": 100_000, "batch_size": 16, "lr": 0.01, "eval_every": 5, "probe_every": 5}
    return design


def test_a_killed_run_leaves_the_window_working_and_its_last_checkpoint_offered(window, qtbot, dialogs):
    window.set_design(_seq2seq())
    show_panel(window)
    panel = window.training_panel
    panel.start()
    qtbot.waitUntil(lambda: any(v[0] >= 10 for v in panel.history.validations), timeout=60_000)
    pid = panel.controller.pid
    with qtbot.waitSignal(panel.runFailed, timeout=10_000) as blocker:
        os.kill(pid, signal.SIGKILL)
    message = blocker.args[0]
    assert f"pid {pid}" in message and "SIGKILL" in message and "memory" in message
    assert "The last good checkpoint is step" in message and message in dialogs.texts("warning")
    assert _gone(pid) and not panel.running
    assert window.actionTrain.isEnabled() and window.palette.isEnabled()  # the window works on
    last_good = panel.continuation
    assert last_good is not None and last_good.step >= 10 and str(last_good.checkpoint) in message
    assert "Start goes on from them" in panel.weights_note.text()
    assert window.beam_panel.load_checkpoint(last_good.checkpoint)  # the beam explorer decodes with it


def test_continue_goes_on_at_the_next_step_and_two_runs_ticked_overlay(window, qtbot):
    window.set_design(small_design(steps=30))
    show_panel(window)
    panel = window.training_panel
    first = run_to_end(qtbot, window)
    losses = panel.history.losses.values.copy()
    second = run_to_end(qtbot, window)
    assert second.run_dir != first.run_dir and second.result["step"] == 60
    steps = panel.history.steps.values
    assert steps[30] == 31 and list(steps) == list(range(1, 61))
    resumed = panel.history.losses.values[30:35].mean()
    assert resumed < 0.7 * losses[:5].mean()  # the loss goes on from where it was, not from the start
    adam = load_checkpoint(second.run_dir / "latest").optimizer["state"][0]["step"]
    assert float(adam) == 60  # Adam's moments and step count came along


    # both runs are in the design's history; ticking them overlays their curves, a legend by run
    runs = panel.run_list
    rows = [[runs.tree.topLevelItem(i).text(c) for c in range(6)] for i in range(runs.tree.topLevelItemCount())]
    assert [r[0] for r in rows] == [second.run_dir.name, first.run_dir.name]  # newest first
    assert [(r[1], r[3], r[5]) for r in rows] == [("lstm", "60", "finished"), ("lstm", "30", "finished")]
    assert rows[0][4].startswith("mse ")
    runs.set_ticked([first.run_dir])
    assert panel.loss_plot.overlays == []  # one run ticked: nothing to compare
    runs.set_ticked([first.run_dir, second.run_dir])
    overlays = panel.loss_plot.overlays
    assert len(overlays) == 2
    clock = [f"{r.name[-6:-4]}:{r.name[-4:-2]}:{r.name[-2:]} · lstm" for r in (second.run_dir, first.run_dir)]
    assert [label.text for _, label in panel.loss_plot.legend.items] == clock  # legend: each run's start, its cell
    assert list(overlays[0].xData) == list(range(31, 61))  # the continued run streamed its own steps
    assert list(overlays[1].xData) == list(range(1, 31))
    # and their gradient reaching back to the followed step t, probe by probe, under the loss
    reach = panel.loss_plot.reach_overlays
    t = panel.loss_plot.reach_step
    assert list(panel.loss_plot.reach_curve.xData) == [0, 10, 20, 30, 30, 40, 50, 60]  # the live run, both legs
    for curve, run, probed in zip(reach, (second, first), ([30, 40, 50, 60], [0, 10, 20, 30]), strict=True):
        history, _ = load_series(run.run_dir)
        assert list(curve.xData) == [p.step for p in history.probes] == probed
        want = [p.grad_norms[("lstm", 0, "forward")][t] for p in history.probes]
        np.testing.assert_allclose(curve.yData, want)
    runs.set_ticked([])
    assert panel.loss_plot.overlays == [] and not panel.loss_plot.legend.isVisible()


def test_watch_run_follows_a_cli_run_to_its_end(window, qtbot, tmp_path):
    design = small_design(steps=150, eval_every=50, probe_every=25)
    save_design(design, tmp_path / "adding.rnnd")
    out = tmp_path / "runs" / "cli-run"
    env = dict(os.environ, OMP_NUM_THREADS="1")  # as a terminal user on a busy machine would
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "train", str(tmp_path / "adding.rnnd"), "--out",
                             str(out), "--quiet"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        show_panel(window)
        panel = window.training_panel
        qtbot.waitUntil(lambda: (out / "events.jsonl").exists(), timeout=60_000)
        updates: list[object] = []
        panel.controller.updated.connect(updates.append)
        with qtbot.waitSignal(panel.runFinished, timeout=60_000) as blocker:
            assert window.watch_run(out)
            assert panel.running and not window.actionTrain.isEnabled() and not panel.pause_button.isEnabled()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert blocker.args[0].result["status"] == "finished" and blocker.args[0].result["step"] == 150
    with open(out / "metrics.csv") as fh:
        csv_steps = [int(r["step"]) for r in csv.DictReader(fh) if r["loss"]]
    assert list(panel.history.steps.values) == csv_steps == list(range(1, 151))
    np.testing.assert_array_equal(panel.loss_plot.train_curve.xData, np.arange(1, 151))
    assert [v[0] for v in panel.history.validations] == [50, 100, 150]
    assert panel.history.trace_step == 150 and panel.probe_inputs is not None
    assert window.actionTrain.isEnabled() and not panel.running


def test_a_finished_run_opens_as_history_and_a_folder_without_a_run_is_refused(window, qtbot, tmp_path):
    from engine.training.run import RunSpec, execute

    save_design(small_design(steps=10), tmp_path / "adding.rnnd")
    execute(RunSpec(design=str(tmp_path / "adding.rnnd"), out_dir=str(tmp_path / "done"), threads=1))
    file_menu = window.menuBar().actions()[0].menu()
    assert window.actionWatchRun in file_menu.actions()
    panel = window.training_panel
    assert not window.watch_run(tmp_path)  # the design's folder holds no stream
    assert "no run's event stream here" in panel.status_text and str(tmp_path) in panel.status_text
    with qtbot.waitSignal(panel.runFinished, timeout=10_000) as blocker:
        assert window.watch_run(tmp_path / "done" / "events.jsonl")  # the stream's file names its folder too
    assert blocker.args[0].result["step"] == 10
    assert list(panel.history.steps.values) == list(range(1, 11)) and panel.history.trace_step == 10
    assert panel.results.samples.rowCount() == 5



def test_train_in_two_processes_through_torchrun_with_rank_0_streaming(window, qtbot, monkeypatch):
    """The window's Train with the "processes" setting at 2: torchrun starts two workers, rank 0
    streams, the plots fill; Stop ends every worker and keeps the last checkpoint."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    window.set_design(small_design(steps=100_000, eval_every=10))
    show_panel(window)
    panel = window.training_panel
    panel.form.findChild(QSpinBox, "processesSpin").setValue(2)  # the form's "processes" setting
    window.actionTrain.trigger()
    qtbot.waitUntil(lambda: any(v[0] >= 10 for v in panel.history.validations), timeout=120_000)
    assert panel.info["world_size"] == 2 and panel.controller.distributed
    assert "torch.distributed.run" in _cmdline(panel.controller.pid)
    with qtbot.waitSignal(panel.runFailed, timeout=15_000) as blocker:
        window.actionStop.trigger()
    assert "workers were stopped" in blocker.args[0] and "The last good checkpoint is step" in blocker.args[0]
    assert panel.continuation is not None and panel.continuation.step >= 10
    assert not panel.running and window.actionTrain.isEnabled()
