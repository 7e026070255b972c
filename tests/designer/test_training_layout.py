"""The training panel at the window's default size (1440×900): the plots fit without scrolling
sideways, every heatmap is tall enough to read with one label per time step of the probe
sequence, a page can take the whole panel, and a run never changes the docks' sizes."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea
from test_training_panel import wait_for_step

from engine.document.templates import template

MIN_HEATMAP_PX = 120


def _date_design(steps: int):  # noqa: ANN202
    design = template("encoder-decoder", cell="gru")
    design.set_metadata("task", {"name": "dates", "train_size": 256, "val_size": 32})
    design.set_metadata("training", {"optimizer": "adam", "lr": 0.003, "batch_size": 16, "steps": steps, "clip": 1.0,
                                     "seed": 0, "eval_every": steps, "probe_every": 5})
    return design


def _docks(window) -> dict[str, tuple[int, int, int, int]]:  # noqa: ANN001
    """Where each dock on screen is (a dock tabbed behind another is not on screen)."""
    return {key: dock.geometry().getRect() for key, dock in window.docks.items() if not dock.visibleRegion().isEmpty()}


def test_the_date_tasks_plots_fit_at_1440x900_and_a_run_never_resizes_a_dock(window, qtbot):
    window.set_design(_date_design(40))
    panel = window.training_panel
    window.docks["training"].raise_()
    qtbot.waitUntil(lambda: panel.isVisible())
    before = _docks(window)
    assert window.docks["training"].height() >= 0.45 * window.height()  # the default layout has room for the plots
    with qtbot.waitSignal(panel.runFinished, timeout=120_000):
        window.actionTrain.trigger()
        wait_for_step(qtbot, panel, 2, timeout=60_000)
        assert _docks(window) == before  # Start changed no dock's size
    qtbot.waitUntil(lambda: panel.history.trace is not None)
    assert _docks(window) == before  # nor did the end

    assert not panel.findChildren(QScrollArea, "trainPlots")  # the plots are pages, not a sideways-scrolling strip
    tabs = panel.plot_tabs
    assert tabs.geometry().right() < panel.width() and tabs.width() >= 600
    seq = panel.picker.sequence_index
    steps = len(panel.probe_inputs.labels(seq, False, len(panel.probe_inputs.source_labels[seq])))
    pages = {"gates": [s for s in panel.gate_plot.slots if s.plot in panel.gate_plot.ci.items],
             "states": [panel.state_plot.hidden], "gradients": [panel.gradient_plot.history]}
    assert len(pages["gates"]) == 3  # a GRU's reset and update gates and its candidate
    for page, heatmaps in pages.items():
        tabs.show_page(page)
        qtbot.waitUntil(lambda hs=heatmaps: all(h.values is not None for h in hs))
        for heatmap in heatmaps:
            view = heatmap.plot.getViewBox()
            qtbot.waitUntil(lambda v=view: v.height() >= MIN_HEATMAP_PX, timeout=2000)
            ticks = heatmap.plot.getAxis("bottom")._tickLevels[0]
            assert len(ticks) == steps, (page, heatmap.value_name, view.width(), steps)  # a label for every time step
            assert [label for _, label in ticks] == list(panel.probe_inputs.source_labels[seq][:steps])


def test_double_clicking_the_plots_gives_them_the_whole_panel_and_again_gives_it_back(window, qtbot):
    panel = window.training_panel
    window.docks["training"].raise_()
    qtbot.waitUntil(lambda: panel.isVisible())
    tabs, controls = panel.plot_tabs, panel.train_splitter.widget(0)
    width = tabs.width()
    bar = tabs.tabBar()
    qtbot.mouseDClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    qtbot.waitUntil(lambda: tabs.width() > width + 200)
    assert controls.isHidden()
    qtbot.mouseDClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    qtbot.waitUntil(lambda: not controls.isHidden() and tabs.width() == width)


def test_the_probe_picker_names_a_block_by_its_cell_now(qtbot):
    from designer.training.probe_picker import ProbePicker

    picker = ProbePicker()
    qtbot.addWidget(picker)
    trace = {"rnn": {0: {"forward": {}}}}
    picker.set_trace(trace, {"rnn": "rnn · LSTM"})
    assert picker.block.currentText() == "rnn · LSTM"
    picker.set_trace(trace, {"rnn": "rnn · Elman RNN"})  # the cell changed, the probes' shape did not
    assert picker.block.currentText() == "rnn · Elman RNN" and picker.key == ("rnn", 0, "forward")


def test_a_clean_design_opens_on_the_training_panel_and_one_with_problems_on_its_problems(window, qtbot):
    def in_front(key: str) -> bool:
        return not window.docks[key].visibleRegion().isEmpty()

    window.set_design(_date_design(10))
    window.raise_first_panel()
    qtbot.waitUntil(lambda: in_front("training"))
    broken = _date_design(10)
    broken.disconnect(broken.edges[0])
    window.set_design(broken)
    window.raise_first_panel()
    qtbot.waitUntil(lambda: in_front("problems"))
