"""The window's life and its documents: a new or opened design shows nothing of the previous one's
run; leaving a run or an unsaved trained model asks first (Stop and keep / Discard / Cancel); the
window fits the screen or opens as it was; the welcome page and File ▸ Open Last File at Start;
refused-connection popups stay in the view; undone history entries look undone; a wire running back
goes around its block; a registry parameter's special value is explained in its field."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from designer_helpers import drop, edit, wire
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QSpinBox
from test_training_panel import run_to_end, small_design, wait_for_step

from designer.app import _initial_design
from designer.canvas.edge_item import block_rect
from designer.close_guard import model_is_kept
from designer.history_view import UNDONE_COLOR
from designer.main_window import MainWindow, bundled_examples
from designer.training.run_files import RUNS_DIR_ENV
from designer.welcome import OPEN_LAST_KEY, WelcomeCard
from engine.document import cells
from engine.model.graph import ARCHITECTURES

KEEP, DISCARD, CANCEL = QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Cancel


@pytest.fixture
def runs(monkeypatch, tmp_path) -> Path:  # noqa: ANN001
    """Every run of the test goes under tmp_path/runs (named by its design, as beside a design)."""
    folder = tmp_path / "runs"
    monkeypatch.setenv(RUNS_DIR_ENV, str(folder))
    return folder


def untrained_decoder() -> SimpleNamespace:
    """A trained-model record (as the training panel hands the beam explorer) of an untrained
    reverse-task encoder-decoder: enough for the explorer to grow a tree, without training."""
    from engine import template
    from engine.data import get_task
    from engine.training.trainer import build_model

    task = get_task("reverse", symbols=4, min_length=2, max_length=4, train_size=64, val_size=8, seed=0)
    design = template("encoder-decoder", cell="gru", hidden_size=8, src_vocab=len(task.source_vocab),
                      tgt_vocab=len(task.target_vocab), embed_dim=4, max_len=5, bidirectional=False)
    design.set_metadata("task", task.metadata())
    return SimpleNamespace(model=build_model(design, 0).eval(), task=task, design_hash=design.structure_hash(),
                           checkpoint_path=None, metrics={})


def assert_nothing_of_a_run(window: MainWindow) -> None:
    panel, beam = window.training_panel, window.beam_panel
    assert len(panel.history.steps) == 0 and len(panel.loss_plot.train_curve.xData or []) == 0
    assert panel.trained is None and panel.continuation is None and panel.last_outcome is None
    assert panel.picker.block.count() == 0 and not panel.picker.isEnabled() and panel.picker.sequence.count() == 0
    assert panel.results.samples.rowCount() == 0
    assert panel.weights_note.text() == "Weights: fresh at the next run."
    assert beam.beam_model is None and beam.search is None and not beam.scene.nodes and beam.model_label.text() == ""


# ====================================================================== 1. no stale model
def test_new_template_and_open_show_nothing_of_the_previous_run(window, qtbot, runs, tmp_path):
    window.set_design(small_design())
    first = tmp_path / "first.rnnd"
    assert window.save_as(first)
    panel, beam = window.training_panel, window.beam_panel
    run_to_end(qtbot, window)
    assert len(panel.history.steps) and panel.trained is not None and panel.picker.block.count()
    assert panel.results.samples.rowCount() > 0 and len(panel.run_list.runs) == 1
    assert beam.set_trained(untrained_decoder()) and beam.choose_example(0) and beam.scene.nodes

    assert window.new_from_template("many-to-many")  # a saved design's run is kept: no question
    assert_nothing_of_a_run(window)
    assert panel.run_list.runs == [] and "No runs" in panel.run_list.note.text()

    assert window.open_file(first)  # its own run history comes back, its old plots do not
    assert [r.path.parent for r in panel.run_list.runs] == [runs] and len(panel.run_list.runs) == 1
    assert_nothing_of_a_run(window)
    beam.set_trained(untrained_decoder())
    assert window.new_design()
    assert_nothing_of_a_run(window)
    assert panel.run_list.runs == []


# ====================================================================== 2. ask before a run is lost
def test_new_open_and_close_during_a_run_ask_first(window, qtbot, dialogs, runs, tmp_path):
    window.set_design(small_design(steps=100_000))
    path = tmp_path / "long.rnnd"
    assert window.save_as(path)
    panel = window.training_panel
    panel.start()
    wait_for_step(qtbot, panel, 2)
    other = tmp_path / "other.rnnd"
    other.write_text(path.read_text())
    before = window.document.design.to_dict()

    dialogs.answer = CANCEL  # Cancel: nothing changes, the run goes on
    for leave in (window.new_design, lambda: window.open_file(other), lambda: window.new_from_template("many-to-one")):
        assert not leave()
        assert panel.running and window.document.design.to_dict() == before and window.document.path == path.resolve()
    assert not window.close() and window.isVisible() and panel.running
    questions = dialogs.texts("warning")
    assert len(questions) == 4 and all("training run of “long.rnnd” is in progress" in q for q in questions)

    dialogs.answer = KEEP  # Stop and keep the checkpoint: the run ends with it, then the new design opens
    assert window.open_file(other)
    assert not panel.running and window.document.path == other.resolve()
    (run,) = runs.iterdir()
    assert (run / "latest.safetensors").exists()
    assert_nothing_of_a_run(window)  # the stopped run's end did not land in the new design's panel


def test_the_guard_uses_the_three_buttons_and_cancel_as_escape(qtbot, monkeypatch):
    """The real question box: Stop and keep / Discard / Cancel, Cancel on Escape (answered by a timer)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from designer import close_guard

    seen = {}

    def answer() -> None:
        box = QApplication.activeModalWidget()
        seen["buttons"] = sorted(b.text() for b in box.buttons())
        seen["escape"] = box.escapeButton() is box.button(CANCEL)
        box.button(DISCARD).click()

    monkeypatch.undo()  # the conftest's stand-in off: this is the real box
    QTimer.singleShot(0, answer)
    result = close_guard.ask(None, "Training", "A run is in progress.", "More words.", "Stop and Keep the Checkpoint")
    assert result == DISCARD
    assert seen == {"buttons": ["Cancel", "Discard", "Stop and Keep the Checkpoint"], "escape": True}


def test_an_unsaved_design_s_trained_model_is_asked_about(window, qtbot, dialogs, runs, tmp_path, monkeypatch):
    window.set_design(small_design())  # never saved: its runs cannot be found from a file
    panel = window.training_panel
    run_to_end(qtbot, window)
    assert panel.trained is not None and not model_is_kept(panel.trained.checkpoint_path, None, "x")
    dialogs.answer = CANCEL
    assert not window.new_design() and panel.trained is not None
    assert "has not been saved" in dialogs.texts("warning")[-1]

    kept = tmp_path / "kept.safetensors"  # Keep: Save Checkpoint asks where, and then the new design opens
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(kept), "")))
    dialogs.answer = KEEP
    assert window.new_from_template("many-to-one")
    assert kept.exists() and panel.trained is None

    window.set_design(small_design())
    run_to_end(qtbot, window)
    count = len(dialogs.texts("warning"))
    dialogs.answer = DISCARD  # Discard closes the window without keeping it anywhere new
    assert window.close()
    assert len(dialogs.texts("warning")) == count + 1


def test_which_trained_models_count_as_kept(tmp_path, monkeypatch):
    monkeypatch.delenv(RUNS_DIR_ENV, raising=False)
    from designer.training import run_files

    scratch = tmp_path / "appdata" / "runs"
    monkeypatch.setattr(run_files, "runs_root", lambda p: (p.parent / "runs") if p is not None else scratch)
    design = tmp_path / "work" / "adding.rnnd"

    def ckpt(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "latest.safetensors").write_bytes(b"x")
        return folder / "latest.safetensors"

    own = ckpt(tmp_path / "work" / "runs" / "adding-20260101-120000")
    scratch_run = ckpt(scratch / "adding-20260101-120000")
    elsewhere = ckpt(tmp_path / "mine")
    assert model_is_kept(own, design, "adding")  # in the design's run history
    assert not model_is_kept(scratch_run, None, "adding")  # a design never saved
    assert not model_is_kept(scratch_run, design, "adding")  # saved after training: the run is not beside it
    assert model_is_kept(elsewhere, None, "adding")  # Save Checkpoint put it where the user chose
    assert not model_is_kept(None, design, "adding") and not model_is_kept(tmp_path / "gone.safetensors", design, "a")


# ====================================================================== 3. the window fits the screen
def test_first_start_fits_the_screen_and_later_starts_reopen_as_closed(qtbot, settings):
    area = QGuiApplication.primaryScreen().availableGeometry()
    w = MainWindow(settings=settings, panels=lambda host: [])
    qtbot.addWidget(w)
    assert w.width() <= area.width() and w.height() <= area.height()
    assert abs(w.width() - 0.9 * area.width()) <= 2 and abs(w.height() - 0.9 * area.height()) <= 2
    assert abs(w.frameGeometry().center().x() - area.center().x()) <= 20
    w.resize(640, 480)
    w.close()

    again = MainWindow(settings=settings, panels=lambda host: [])
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (640, 480)
    big = MainWindow(settings=settings, panels=lambda host: [])  # saved on a bigger monitor
    big.setGeometry(QRect(0, 0, area.width() * 2, area.height() * 2))
    settings.setValue("window/geometry", big.saveGeometry())
    big.close()
    fitted = MainWindow(settings=settings, panels=lambda host: [])
    qtbot.addWidget(fitted)
    assert fitted.width() <= area.width() and fitted.height() <= area.height()
    again.close()
    fitted.close()


# ====================================================================== 4. welcome and the last file
def test_welcome_page_offers_templates_and_examples_one_click_away(window, qtbot):
    _initial_design(window, None, welcome=True)  # no last file: the start page
    page = window.welcome.page
    assert window.welcome.showing and window.centralWidget().currentWidget() is page
    assert [c.property("key") for c in page.template_cards] == list(ARCHITECTURES)
    assert len(page.example_cards) == len(bundled_examples())
    assert all(isinstance(c, WelcomeCard) and len(c.toolTip()) > len(c.title) + 20 for c in page.template_cards)
    card = page.template_cards[ARCHITECTURES.index("encoder-decoder")]
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    assert window.document.report.architecture == "encoder-decoder" and not window.welcome.showing

    window.welcome.actionWelcome.trigger()  # Help ▸ Welcome shows it again
    assert window.welcome.actionWelcome in window.menu_help.actions() and window.welcome.showing
    example = bundled_examples()[0]
    qtbot.mouseClick(page.example_cards[0], Qt.MouseButton.LeftButton)
    assert window.document.design.name == example.stem and window.document.path is None
    window.welcome.show()  # a start page: the docks make way while it shows, and come back after
    assert not window.docks["palette"].isVisible() and not window.docks["inspector"].isVisible()
    qtbot.mouseClick(page.findChild(QPushButton, "welcomeClose"), Qt.MouseButton.LeftButton)
    assert not window.welcome.showing
    assert window.docks["palette"].isVisible() and window.docks["inspector"].isVisible()


def test_open_last_file_at_start_is_a_setting(qtbot, settings, tmp_path):
    w = MainWindow(settings=settings, panels=lambda host: [])
    qtbot.addWidget(w)
    action = w.welcome.actionOpenLast
    file_menu = w.menuBar().actions()[0].menu()
    assert action in file_menu.actions() and action.isCheckable() and action.isChecked()  # on by default
    w.new_from_template("many-to-one")
    assert w.save_as(tmp_path / "last.rnnd")
    w.close()

    again = MainWindow(settings=settings, panels=lambda host: [])
    qtbot.addWidget(again)
    _initial_design(again, None, welcome=True)
    assert again.document.path == (tmp_path / "last.rnnd").resolve() and not again.welcome.showing
    again.welcome.actionOpenLast.setChecked(False)
    assert str(settings.value(OPEN_LAST_KEY)).lower() == "false"
    again.close()

    third = MainWindow(settings=settings, panels=lambda host: [])
    qtbot.addWidget(third)
    assert not third.welcome.actionOpenLast.isChecked()
    _initial_design(third, None, welcome=True)
    assert third.document.path is None and third.welcome.showing
    third.close()


# ====================================================================== 5.-8. small things
def test_a_refused_connection_popup_stays_inside_the_view(window):
    view = window.view
    for x, y in ((view.viewport().width() - 4, 60), (view.viewport().width() - 4, view.viewport().height() - 4)):
        window.scene.refuse("token ids cannot feed an LSTM: put an Embedding between them " * 2,
                            view.mapToScene(x, y))
        toast = window.scene._toast  # noqa: SLF001
        top_left = view.mapFromScene(toast.pos())
        shown = QRectF(top_left.x(), top_left.y(), toast.size_px().width(), toast.size_px().height())
        assert QRectF(view.viewport().rect()).contains(shown), (shown, view.viewport().rect())


def test_history_shows_undone_entries_greyed_and_italic(window):
    drop(window, "lstm", 0)
    drop(window, "gru", 1)
    window.document.undo_stack.undo()
    history = window.history
    assert history.model().rowCount() == 3  # the opened design, two steps
    done_italic, done_color = history.entry_style(1)
    undone_italic, undone_color = history.entry_style(2)
    assert not done_italic and undone_italic
    assert undone_color == UNDONE_COLOR and done_color != UNDONE_COLOR
    window.document.undo_stack.redo()
    assert not history.entry_style(2)[0]


def _samples(path, n: int = 400) -> list[QPointF]:  # noqa: ANN001
    return [path.pointAtPercent(i / n) for i in range(n + 1)]


def test_a_wire_running_back_goes_around_its_own_block(window):
    gru = drop(window, "gru", 2)
    bridge = drop(window, "bridge", 2, row=1)  # right below: the state wire runs back to its left side
    wire(window, gru, "state", bridge, "in")
    (item,) = window.scene.edges.values()
    source, target = block_rect(item.source), block_rect(item.target)
    inside = source.adjusted(1, 1, -1, -1)
    assert not [p for p in _samples(item.path()) if inside.contains(p)]
    assert not [p for p in _samples(item.path()) if target.adjusted(1, 1, -1, -1).contains(p)]
    assert item.path().pointAtPercent(0) == item.source.anchor() and item.path().pointAtPercent(1) == item.target.anchor()
    # a block beside it on the same row: around, below both
    window.scene.nodes[bridge].setPos(window.scene.nodes[gru].pos() - QPointF(280, 20))
    item.update_path()
    source, target = block_rect(item.source), block_rect(item.target)
    assert not [p for p in _samples(item.path()) if source.adjusted(1, 1, -1, -1).contains(p)]
    assert not [p for p in _samples(item.path()) if target.adjusted(1, 1, -1, -1).contains(p)]
    # a wire running forward keeps its S-curve
    inp = drop(window, "sequence_input", 0)
    wire(window, inp, "out", gru, "in")
    forward = window.scene.edges[next(e for e in window.scene.edges if e.source == inp)]
    assert forward.path().elementCount() == 4  # one cubic


def test_a_parameter_s_special_value_is_explained_in_its_field(window):
    explained = [(spec.kind, p) for spec in cells.cells() for p in spec.params if p.special]
    assert explained, "the registry explains at least one special value"
    kind, param = explained[0]
    node = drop(window, kind, 0)
    window.scene.select_nodes([node])
    editor = window.inspector.editors[param.name]
    assert isinstance(editor, QSpinBox) and editor.value() == editor.minimum() == 0
    assert editor.specialValueText() == param.special and editor.text() == param.special
    assert "0 means" in editor.toolTip() and param.special in editor.toolTip()
    edit(window, node, **{param.name: 16})
    assert window.inspector.editors[param.name].text() == "16"
