"""Issue 15, the forms and the status lines, as a user at the default 1440×900 window meets them:
the wheel over a box scrolls the panel, a typed number outside a box's range is clamped and said,
the task's errors and label are the window's own words, a refused Start changes nothing but the
reason (which names the problem and brings Problems forward, counted as everywhere else), and
after Resume the status no longer says "Paused"."""
from __future__ import annotations

import pytest
from designer_helpers import drop
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QFormLayout, QScrollArea, QWidget
from test_experiment import pick
from test_training_panel import run_to_end, show_panel, small_design

from designer.field_widgets import GuardedComboBox, GuardedDoubleSpinBox, GuardedSpinBox
from engine.document.design_file import save_design
from engine.errors import DataError

TINY = {"steps": 10, "eval_every": 10, "probe_every": 5}  # a finished run in a second or two


@pytest.fixture
def big(window, qtbot):  # noqa: ANN001, ANN201
    """The window at its default size, on the small adding design, the training panel in front."""
    window.resize(1440, 900)
    qtbot.waitUntil(lambda: window.width() == 1440)
    window.set_design(small_design(**TINY))
    show_panel(window)
    return window


def wheel_over(box: QWidget, dy: int) -> None:
    """A real (spontaneous) wheel turn over the middle of ``box``, as a mouse gives it."""
    top = box.window()
    pos = box.mapTo(top, box.rect().center())
    under = top.childAt(pos)
    assert under is box or box.isAncestorOf(under), "the box is not under the pointer"
    QTest.wheelEvent(top.windowHandle(), QPointF(pos), QPoint(0, dy))


def scroll_area_of(widget: QWidget) -> QScrollArea:
    parent = widget.parentWidget()
    while not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    return parent


def type_into(box: QAbstractSpinBox, text: str) -> None:
    box.lineEdit().selectAll()
    QTest.keyClicks(box.lineEdit(), text)
    QTest.keyClick(box.lineEdit(), Qt.Key.Key_Return)


def row_of(rows: QFormLayout, widget: QWidget) -> int:
    for row in range(rows.rowCount()):
        item = rows.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if item is not None and (item.widget() is widget or (item.layout() and item.layout().indexOf(widget) >= 0)):
            return row
    return -1


# ---------------------------------------------------------------------- 1. the wheel scrolls the panel
def test_the_wheel_over_a_box_scrolls_the_panel_unless_the_box_has_focus(big, qtbot):
    form = big.training_panel.form
    boxes = form.findChildren(QAbstractSpinBox) + form.findChildren(QComboBox)
    assert len(boxes) >= 13
    for box in boxes:  # every box of the form: the wheel never takes the focus
        assert isinstance(box, (GuardedSpinBox, GuardedDoubleSpinBox, GuardedComboBox)), box.objectName()
        assert box.focusPolicy() == Qt.FocusPolicy.StrongFocus, box.objectName()

    box, scroll = form.probe_every, scroll_area_of(form)  # at 1440×900 the form's column scrolls
    bar = scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())  # scrolled down, then the box brought into view: the panel can scroll up
    scroll.ensureWidgetVisible(box)
    assert bar.value() > 0
    before, top = box.value(), bar.value()
    wheel_over(box, +120)
    qtbot.waitUntil(lambda: bar.value() < top)  # the panel scrolled up
    assert box.value() == before == 5 and not box.hasFocus()
    assert big.document.design.metadata["training"]["probe_every"] == 5

    scroll.ensureWidgetVisible(box)
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    wheel_over(box, +120)  # with the focus (clicked or tabbed into), the wheel turns it
    qtbot.waitUntil(lambda: box.value() == 6)


def test_the_wheel_over_an_inspector_box_scrolls_the_inspector(big, qtbot):
    big.scene.select_nodes(["lstm"])
    inspector = big.inspector
    editors = inspector.editors
    assert isinstance(editors["hidden_size"], GuardedSpinBox) and isinstance(editors["dropout"], GuardedDoubleSpinBox)
    assert isinstance(inspector.cell_kind, GuardedComboBox)
    assert all(e.focusPolicy() == Qt.FocusPolicy.StrongFocus for e in (*editors.values(), inspector.cell_kind)
               if isinstance(e, (QAbstractSpinBox, QComboBox)))
    box = editors["hidden_size"]
    qtbot.waitUntil(box.isVisible)
    wheel_over(inspector.cell_kind, -120)
    wheel_over(box, -120)
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    wheel_over(box, +120)  # delivered after the turns without the focus: those changed nothing
    qtbot.waitUntil(lambda: big.document.design.nodes["lstm"].params["hidden_size"] == 9)
    assert big.document.design.nodes["lstm"].kind == "lstm"
    big.document.undo_stack.undo()
    assert big.document.design.nodes["lstm"].params["hidden_size"] == 8


# ---------------------------------------------------------------------- 2. the range shown, clamping said
def test_a_typed_number_outside_the_range_is_clamped_and_said_under_its_field(big, qtbot):
    form = big.training_panel.form
    assert "Accepts 0 (auto) to 10,000,000 steps." in form.probe_every.toolTip()
    assert form.probe_every.toolTip().startswith("Steps between probes")  # the help stays first
    assert "Accepts 1 to 65,536." in form.batch.toolTip()
    note = form.field_note
    assert not note.isVisible()

    type_into(form.length, "99999999")
    assert form.length.value() == 10_000_000
    assert big.document.design.metadata["training"]["steps"] == 10_000_000  # one undoable edit, as typed values are
    assert note.text() == "Steps 99999999 is above the maximum 10,000,000; set to 10,000,000."
    rows = form.layout()
    assert note.isVisible() and row_of(rows, note) == row_of(rows, form.length) + 1  # right under "Train for"

    type_into(form.probe_every, "-5")
    assert form.probe_every.text() == "auto"
    assert note.text() == "Probe every -5 is below the minimum 0 (auto); set to auto."
    assert row_of(rows, note) == row_of(rows, form.probe_every) + 1
    QTest.keyClicks(form.probe_every.lineEdit(), "2")  # typing in the field again: the note goes
    assert not note.isVisible()

    big.document.undo_stack.undo()
    big.document.undo_stack.undo()
    assert big.document.design.metadata["training"]["steps"] == TINY["steps"]


def test_the_inspector_clamps_a_dropout_of_2_and_says_so(big, qtbot):
    big.scene.select_nodes(["lstm"])
    inspector, node = big.inspector, big.document.design.nodes["lstm"]
    dropout, hidden = inspector.editors["dropout"], inspector.editors["hidden_size"]
    assert "Accepts 0 to 0.9." in dropout.toolTip() and "Accepts 1 to 4,096." in hidden.toolTip()
    type_into(dropout, "2")  # Qt dropped the "2" before: nothing changed, nothing said
    assert node.params["dropout"] == 0.9
    assert inspector.field_note.text() == "Dropout 2 is above the maximum 0.9; set to 0.9."
    assert inspector.field_note.isVisible()
    type_into(hidden, "-5")  # Qt made this 5
    assert node.params["hidden_size"] == 1
    assert inspector.field_note.text() == "Hidden size -5 is below the minimum 1; set to 1."


# ---------------------------------------------------------------------- 3. the window's words for task parameters
def test_a_task_parameter_that_is_not_name_value_is_said_in_the_windows_words(big):
    panel = big.training_panel
    form = panel.form
    form.params.setText("7")
    form.params.editingFinished.emit()
    expected = "Task parameter “7”: write it as name=value, e.g. seq_len=100"
    assert form.note.text() == expected and form.note.isVisible()
    assert "KEY=VALUE" not in form.note.text() and "--task-param" not in form.note.text()
    assert not panel.start() and panel.status_text == expected
    assert "KEY" not in form.params.toolTip()

    form.params.setText("seq_len = 20, train_size=256, val_size=32")  # spaces around = read as written
    form.params.editingFinished.emit()
    assert big.document.design.metadata["task"]["seq_len"] == 20 and not form.note.isVisible()

    from engine.cli.train import parse_task_params as cli_parse  # the CLI keeps its own wording

    with pytest.raises(DataError, match=r'^--task-param "7": expected KEY=VALUE'):
        cli_parse(["7"])


# ---------------------------------------------------------------------- 4. one label for a task
def test_the_task_box_names_a_task_the_same_whether_read_from_a_file_or_picked(window, qtbot, tmp_path):
    window.resize(1440, 900)
    design = small_design(**TINY)
    design.metadata["task"] = {"name": "dates"}
    path = tmp_path / "dates.rnnd"
    save_design(design, path)
    assert window.open_file(path)
    form = window.training_panel.form
    label = "Date translation (dates) · encoder-decoder"
    assert form.task.currentText() == label  # read from the file: it was "dates"
    pick(form, "adding")
    assert form.task.currentText() == "Adding problem (adding) · many-to-one"
    pick(form, "dates")
    assert form.task.currentText() == label  # picked from the list


# ---------------------------------------------------------------------- 5 and 6. a refused Start
def test_a_refused_start_changes_nothing_but_the_reason_which_names_the_problem(big, qtbot):
    panel = big.training_panel
    run_to_end(qtbot, big)
    curve = list(panel.loss_plot.train_curve.xData)
    results, samples = panel.results.metrics.text(), panel.results.samples.rowCount()
    assert curve == list(range(1, TINY["steps"] + 1)) and samples == 5

    gru = drop(big, "gru", 0, row=2)  # an unconnected block: 1 error (its input), 1 warning (feeds nothing)
    report = big.document.report
    assert (len(report.errors), len(report.warnings)) == (1, 1)
    weights = panel.weights_note.text()
    assert "design changed" in weights
    big.actionTrain.trigger()
    assert not panel.running
    assert list(panel.loss_plot.train_curve.xData) == curve  # the last run's plots, results and weights stay
    assert panel.results.metrics.text() == results and panel.results.samples.rowCount() == samples
    assert panel.weights_note.text() == weights and panel.history.step == TINY["steps"]

    first = report.errors[0].message
    assert f'node "{gru}" port "in" is not connected' in first
    assert panel.status_text.startswith(f"The design has 1 error: {first.rstrip('.')}.")
    assert "fix it first" in panel.status_text and "problem" in panel.status_text
    assert first in big.statusBar().currentMessage()  # said where the user looks, the Problems tab in front
    problems, training = big.docks["problems"], big.docks["training"]
    qtbot.waitUntil(lambda: not problems.visibleRegion().isEmpty())
    assert training.visibleRegion().isEmpty()
    # counted the same way everywhere: errors and warnings apart, singular and plural
    assert problems.windowTitle() == "Problems (1 error, 1 warning)"
    assert "1 error</span>, 1 warning" in big.status_problems.text()
    big.scene.clearSelection()
    assert "<b>Problems</b>: 1 error, 1 warning" in big.inspector._info.text()  # noqa: SLF001

    edge = next(e for e in big.document.design.edges if e.target == "lstm")  # two errors now
    big.scene.clearSelection()
    big.scene.edges[edge].setSelected(True)
    big.delete_selection()
    n = len(big.document.report.errors)
    assert n >= 2
    big.actionTrain.trigger()
    assert f"The design has {n} errors: " in panel.status_text and f"(+ {n - 1} more)" in panel.status_text
    assert problems.windowTitle().startswith(f"Problems ({n} errors, ")
    assert list(panel.loss_plot.train_curve.xData) == curve


def test_the_plots_keep_the_last_run_until_the_next_one_begins(big, qtbot, monkeypatch):
    panel = big.training_panel
    run_to_end(qtbot, big)
    curve = list(panel.loss_plot.train_curve.xData)
    results = panel.results.metrics.text()

    import designer.training.panel as panel_module

    def no_folder(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError("disk full")

    with monkeypatch.context() as patched:  # refused after the checks: the run folder cannot be made
        patched.setattr(panel_module, "new_run_dir", no_folder)
        panel.form.seed.setValue(3)
        panel.reset_weights()  # a fresh run: its plots would start empty
        assert not panel.start()
    assert "Cannot create the run folder: disk full" in panel.status_text
    assert list(panel.loss_plot.train_curve.xData) == curve and panel.results.metrics.text() == results

    finished: list = []
    panel.runFinished.connect(finished.append)
    assert panel.start()
    assert list(panel.loss_plot.train_curve.xData) == curve  # preparing the data: the last run still shows
    assert panel.results.metrics.text() == results
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    assert len(panel.loss_plot.train_curve.xData) == TINY["steps"]  # once begun, its own plots from step 1
    assert "mean squared error" in panel.results.metrics.text()


# ---------------------------------------------------------------------- 7. the status describes the present
def test_after_resume_the_status_no_longer_says_paused(window, qtbot):
    window.resize(1440, 900)
    window.set_design(small_design(steps=100_000))
    show_panel(window)
    panel = window.training_panel
    panel.start()
    qtbot.waitUntil(lambda: panel.history.step >= 3, timeout=30_000)
    panel.toggle_pause()
    qtbot.waitUntil(lambda: "Paused at step" in panel.status_text)
    held = panel.history.step
    panel.toggle_pause()  # Resume
    assert panel.pause_button.text() == "Pause"
    assert "Paused" not in panel.status_text
    assert panel.status_text == f"Running from step {held}…"
    qtbot.waitUntil(lambda: panel.history.step >= held + 2, timeout=30_000)
    assert "Paused" not in panel.status_text
    with qtbot.waitSignal(panel.runFinished, timeout=5000):
        panel.stop()
    assert panel.status_text.startswith("Stopped at step")
