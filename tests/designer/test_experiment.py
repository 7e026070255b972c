"""The design file is the whole experiment: the task and every training setting live in the
document, the form is a view of it, the task is part of the check (with fixes), and
``rnn-designer train`` on a window-saved file runs exactly what the window runs."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from designer_helpers import build, edit

from designer.main_window import MainWindow
from designer.training.settings_form import DEFAULTS, NO_TASK_NOTE, SCHEDULES
from engine.data import recommended_training
from engine.document.design_file import load_design

ROOT = Path(__file__).resolve().parents[2]


def pick(form, name: str) -> None:  # noqa: ANN001
    """Choose the bundled task ``name`` in the Task list, as a user does."""
    form.task.ensure_loaded()
    index = next(i for i in range(form.task.count())
                 if getattr(form.task.itemData(i), "name", None) == name and form.task.itemData(i).path is None)
    form.task.setCurrentIndex(index)
    form.task.activated.emit(index)


def source_node(window) -> str:  # noqa: ANN001
    return next(n.id for n in window.document.design.nodes.values() if n.kind == "token_input")


def test_picking_the_date_task_puts_it_and_its_settings_in_the_document(window, qtbot, settings, tmp_path):
    build(window, "encoder-decoder")
    form, doc = window.training_panel.form, window.document
    assert form.note.text() == NO_TASK_NOTE and form.task.currentData() is None
    steps_before = doc.undo_stack.index()
    pick(form, "dates")
    recommended = recommended_training("dates")
    assert doc.design.metadata["task"] == {"name": "dates"}
    assert doc.design.metadata["training"] == recommended
    assert doc.undo_stack.index() == steps_before + 1  # one step
    assert (form.length.value(), form.length_unit.currentText()) == (recommended["steps"], "steps")
    assert float(form.lr.currentText()) == recommended["lr"] and form.schedule.currentText() == "cosine"
    assert form.probe_every.value() == recommended["probe_every"] and not form.note.isVisible()

    doc.undo_stack.undo()  # the task and its settings go in one step
    assert "task" not in doc.design.metadata and "training" not in doc.design.metadata
    assert form.task.currentData() is None and form.note.text() == NO_TASK_NOTE
    doc.undo_stack.redo()
    assert doc.design.metadata["task"] == {"name": "dates"}

    # the user's own edits win afterwards; typing a learning rate is one step; Use recommended restores
    before = doc.undo_stack.index()
    for text in ("0", "0.", "0.0", "0.01"):
        form.lr.setCurrentText(text)
    assert doc.design.metadata["training"]["lr"] == 0.01 and doc.undo_stack.index() == before + 1
    form.seed.setValue(7)
    assert form.recommended.isEnabled()
    form.recommended.click()
    assert doc.design.metadata["training"] == {**recommended, "seed": 7}  # the seed is the user's
    assert not form.recommended.isEnabled()
    form.batch.setValue(16)

    path = tmp_path / "dates.rnnd"
    assert window.save_as(path)
    assert load_design(path).metadata["training"]["batch_size"] == 16
    fresh = MainWindow(settings=settings)
    qtbot.addWidget(fresh)
    try:
        assert fresh.open_file(path)
        again = fresh.training_panel.form
        assert again.task_choice().name == "dates" and again.batch.value() == 16 and again.seed.value() == 7
        assert (again.length.value(), again.schedule.currentText()) == (recommended["steps"], "cosine")
        assert again.settings() == doc.design.metadata["training"]
    finally:
        fresh.document.undo_stack.setClean()
        fresh.close()


def test_a_too_small_vocabulary_shows_in_problems_before_train_and_its_fix_is_one_step(window, dialogs):
    build(window, "encoder-decoder")
    pick(window.training_panel.form, "dates")
    source = source_node(window)
    edit(window, source, vocab_size=32)
    rows = window.problems.rows()
    row = next(i for i, (node, text) in enumerate(rows) if node == source and "62 input tokens" in text)
    assert f'node "{source}": task "dates" has 62 input tokens' in rows[row][1] and "vocab_size is 32" in rows[row][1]
    assert "ready to train" not in window.status_problems.text()
    assert not window.training_panel.start()  # Start says so in the panel, no dialog
    assert not dialogs.shown and "problem" in window.training_panel.status_text

    button = window.problems.fix_button(row)
    assert button is not None and button.text() == "Set vocab_size to 62"
    before = window.document.undo_stack.index()
    button.click()
    assert window.document.design.nodes[source].params["vocab_size"] == 62
    assert window.document.report.ok and window.document.undo_stack.index() == before + 1
    assert "ready to train" in window.status_problems.text()
    window.document.undo_stack.undo()
    assert window.document.design.nodes[source].params["vocab_size"] == 32 and not window.document.report.ok
    # double-clicking the row applies it too
    row = next(i for i, (node, _) in enumerate(window.problems.rows()) if node == source)
    window.problems.itemActivated.emit(window.problems.topLevelItem(row), 2)
    assert window.document.report.ok


def test_ready_to_train_needs_a_task(window):
    build(window, "many-to-one")
    assert "ready to train" not in window.status_problems.text()
    assert "no task" in window.status_problems.text()


def test_the_form_shows_the_engines_defaults_for_what_the_design_leaves_out():
    from dataclasses import fields

    from engine.training.trainer import SCHEDULES as ENGINE_SCHEDULES
    from engine.training.trainer import TrainSettings

    defaults = {f.name: f.default for f in fields(TrainSettings)}
    assert {k: defaults[k] for k in DEFAULTS} == DEFAULTS
    assert tuple(SCHEDULES) == ENGINE_SCHEDULES


def _small_adding():  # noqa: ANN202
    design = load_design(ROOT / "assets" / "examples" / "adding-lstm.rnnd")
    design.set_param("lstm", "hidden_size", 8)
    design.metadata.pop("training", None)
    design.metadata["task"] = {"name": "adding", "seq_len": 12, "train_size": 256, "val_size": 32}
    return design


def test_the_cli_on_a_window_saved_file_gives_the_windows_losses(window, qtbot, tmp_path):
    window.set_design(_small_adding())
    form = window.training_panel.form
    # every setting through the form, as a user sets them
    form.length_unit.setCurrentText("steps")
    form.length.setValue(40)
    form.batch.setValue(16)
    form.lr.setCurrentText("0.01")
    form.seed.setValue(3)
    form.eval_every.setValue(20)
    form.probe_every.setValue(10)
    form.threads.setValue(1)
    path = tmp_path / "adding.rnnd"
    assert window.save_as(path)
    with qtbot.waitSignal(window.training_panel.runFinished, timeout=120_000) as blocker:
        assert window.training_panel.start()
    assert blocker.args[0].result["step"] == 40
    window_losses = np.asarray(window.training_panel.history.losses.values, dtype=float)

    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "engine.cli", "train", str(path), "--out", str(out), "--quiet"],
                   check=True, env=env, cwd=ROOT, timeout=300)
    with open(out / "metrics.csv", newline="") as f:
        cli_losses = np.asarray([float(r["loss"]) for r in csv.DictReader(f) if r.get("loss")], dtype=float)
    assert len(window_losses) == len(cli_losses) == 40
    np.testing.assert_allclose(window_losses, cli_losses, rtol=1e-5, atol=1e-7)


def test_quick_start_is_in_the_help_menu_and_does_not_block_the_window(window, qtbot):
    from designer.quick_start import STEPS, QuickStartDialog

    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Help")
    assert window.actionHelp in help_menu.actions() and window.actionHelp.text().replace("&", "") == "Quick Start"
    window.actionHelp.trigger()
    dialog = window.findChild(QuickStartDialog, "quickStart")
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.isModal()
    text = dialog.findChild(type(dialog.layout().itemAt(0).widget()), "quickStartText").text()
    assert [title for title, _ in STEPS] == ["Build", "Pick a task", "Train", "Watch", "Step the beam"]
    assert all(title in text for title, _ in STEPS)
    window.actionHelp.trigger()  # one window, raised again
    assert len(window.findChildren(QuickStartDialog)) == 1
    dialog.close()


def test_the_no_task_row_opens_the_task_list(window, qtbot):
    build(window, "many-to-one")
    rows = window.problems.rows()
    row = next(i for i, (node, text) in enumerate(rows) if "names no task" in text)
    button = window.problems.fix_button(row)
    assert button is not None and button.text() == "Pick a task…"
    form = window.training_panel.form
    button.click()
    qtbot.waitUntil(lambda: form.task.view().isVisible())
    assert form.task.count() > 5  # the bundled tasks are listed
    form.task.hidePopup()
