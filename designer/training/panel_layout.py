"""How the training panel is laid out: the form and controls in a column on the left (it scrolls
up and down), the probe picker above the live plots on the right, a page each — loss and metrics
(with the gradient reaching back over training), gates, cell and hidden state, gradient flow,
and attention for a design that attends. A page fills the plot area, so at the window's default
size nothing scrolls sideways and every heatmap is readable; double-clicking a page folds the
controls away so the plots fill the dock.

:func:`build_panel` creates every widget once and sets them as attributes of the panel; the
panel's behaviour lives in :mod:`designer.training.panel`.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .attention_plot import AttentionPlot
from .gate_plot import GatePlot
from .gradient_plot import GradientPlot
from .loss_plot import LossPlot
from .probe_picker import ProbePicker
from .results_view import ResultsView
from .run_list import RunList
from .settings_form import TrainingForm
from .state_plot import CellStatePlot

LEFT_WIDTH = 320
PLOTS_MIN_WIDTH = 440
PLOT_MIN_WIDTH, PLOT_MIN_HEIGHT = 160, 130


def _button(panel: Any, name: str, text: str, icon: QStyle.StandardPixmap | None, tip: str) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    if icon is not None:
        b.setIcon(panel.style().standardIcon(icon))
    b.setToolTip(tip)
    return b


def _controls(panel: Any) -> QWidget:
    """The left column: data and settings, run buttons, progress, results, files."""
    column = QWidget()
    v = QVBoxLayout(column)
    v.setContentsMargins(6, 6, 6, 6)
    settings = QGroupBox("Data and settings")
    panel.form = TrainingForm()
    QVBoxLayout(settings).addWidget(panel.form)
    v.addWidget(settings)

    SP = QStyle.StandardPixmap
    panel.start_button = _button(panel, "startButton", "Start", SP.SP_MediaPlay, "Train the design (F5)")
    panel.pause_button = _button(panel, "pauseButton", "Pause", SP.SP_MediaPause, "Hold the run between two batches")
    panel.stop_button = _button(panel, "stopButton", "Stop", SP.SP_MediaStop,
                                "End the run after the batch in flight (Shift+F5)")
    row = QHBoxLayout()
    for b in (panel.start_button, panel.pause_button, panel.stop_button):
        row.addWidget(b)
    v.addLayout(row)
    panel.progress = QProgressBar(objectName="trainProgress")
    panel.progress.setTextVisible(True)
    v.addWidget(panel.progress)
    panel.rate_label = QLabel(objectName="rateLabel")
    v.addWidget(panel.rate_label)
    panel.status = QLabel(objectName="trainStatus")
    panel.status.setWordWrap(True)
    panel.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    v.addWidget(panel.status)
    weights = QHBoxLayout()
    panel.weights_note = QLabel(objectName="weightsNote")
    panel.weights_note.setWordWrap(True)
    panel.weights_note.setStyleSheet("color: #5b6270;")
    panel.reset_button = _button(panel, "resetWeightsButton", "Reset", None,
                                 "Forget the trained weights: the next run starts from fresh ones")
    weights.addWidget(panel.weights_note, 1)
    weights.addWidget(panel.reset_button)
    v.addLayout(weights)

    results = QGroupBox("Results")
    panel.results = ResultsView()
    QVBoxLayout(results).addWidget(panel.results)
    v.addWidget(results)
    panel.save_button = _button(panel, "saveCheckpointButton", "Save checkpoint", None,
                                "Save the weights beside the design (<design>-step<N>.safetensors)")
    panel.load_button = _button(panel, "loadCheckpointButton", "Load…", None,
                                "Load a checkpoint trained for this design")
    panel.export_button = _button(panel, "exportMetricsButton", "Export CSV…", None,
                                  "Export every step's loss and every validation as CSV")
    files = QHBoxLayout()
    for b in (panel.save_button, panel.load_button, panel.export_button):
        files.addWidget(b)
    v.addLayout(files)
    runs = QGroupBox("Runs of this design")
    panel.run_list = RunList()
    QVBoxLayout(runs).addWidget(panel.run_list)
    v.addWidget(runs)
    v.addStretch(1)

    panel.start_button.clicked.connect(panel.start)
    panel.pause_button.clicked.connect(panel.toggle_pause)
    panel.stop_button.clicked.connect(panel.stop)
    panel.reset_button.clicked.connect(panel.reset_weights)
    panel.save_button.clicked.connect(lambda: panel.save_checkpoint())
    panel.load_button.clicked.connect(lambda: panel.load_checkpoint())
    panel.export_button.clicked.connect(lambda: panel.export_metrics())

    scroll = QScrollArea()
    scroll.setObjectName("trainControls")
    scroll.setWidget(column)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    width = max(LEFT_WIDTH, column.minimumSizeHint().width()) + scroll.verticalScrollBar().sizeHint().width() + 2
    scroll.setMinimumWidth(width)
    scroll.setMaximumWidth(width + 60)
    return scroll


PAGES = (("loss", "Loss"), ("gates", "Gates"), ("states", "Cell && hidden state"), ("gradients", "Gradient flow"),
         ("attention", "Attention"))


class PlotTabs(QTabWidget):
    """The live plots, one page each: only the page in front is drawn while a run goes on.
    Double-clicking a page (or its tab) gives the plots the whole dock; again gives it back."""

    maximizeToggled = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("plotTabs")
        self.setDocumentMode(True)
        self.tabBar().setObjectName("plotTabBar")
        self.tabBarDoubleClicked.connect(lambda _i: self.maximizeToggled.emit())
        self.pages: dict[str, QWidget] = {}

    def add_page(self, key: str, title: str, widget: QWidget) -> None:
        self.pages[key] = widget
        scene = getattr(widget, "scene", None)
        if callable(scene):  # a plot: pyqtgraph's scene sees the double-click
            scene().sigMouseClicked.connect(self._clicked)
        self.addTab(widget, title)

    def _clicked(self, event: Any) -> None:
        if event.double():
            event.accept()
            self.maximizeToggled.emit()

    def show_page(self, key: str) -> None:
        self.setCurrentWidget(self.pages[key])

    def set_page_visible(self, key: str, visible: bool) -> None:
        self.setTabVisible(self.indexOf(self.pages[key]), visible)

    def current_key(self) -> str:
        return next((k for k, w in self.pages.items() if w is self.currentWidget()), "")


def _plots(panel: Any) -> QWidget:
    """The right side: which probe, then the plots, a page each (loss, gates, states, gradient flow, attention)."""
    area = QWidget()
    v = QVBoxLayout(area)
    v.setContentsMargins(0, 4, 4, 4)
    header = QHBoxLayout()
    panel.picker = ProbePicker()
    header.addWidget(panel.picker, 1)
    panel.probe_step = QLabel(objectName="probeStep")
    panel.probe_step.setStyleSheet("color: #5b6270;")
    panel.probe_step.setToolTip("The training step the heatmaps' probe was taken at")
    header.addWidget(panel.probe_step)
    panel.log_scale = QCheckBox("log loss", objectName="lossLogScale")
    panel.log_scale.setToolTip("Show the loss on a logarithmic scale")
    header.addWidget(panel.log_scale)
    v.addLayout(header)
    panel.loss_plot = LossPlot()
    panel.gradient_plot = GradientPlot()
    panel.gate_plot = GatePlot()
    panel.state_plot = CellStatePlot()
    panel.attention_plot = AttentionPlot()  # an attending decoder's matrix and entropy; its page hidden otherwise
    panel.plot_tabs = tabs = PlotTabs()
    for (key, title), plot in zip(PAGES, (panel.loss_plot, panel.gate_plot, panel.state_plot, panel.gradient_plot,
                                          panel.attention_plot)):
        plot.setMinimumSize(PLOT_MIN_WIDTH, PLOT_MIN_HEIGHT)
        plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        plot.setToolTip("Double-click to give the plots the whole panel (again to give it back)")
        tabs.add_page(key, title, plot)
    tabs.set_page_visible("attention", False)
    v.addWidget(tabs, 1)
    area.setMinimumWidth(PLOTS_MIN_WIDTH)
    return area


def build_panel(panel: Any) -> None:
    h = QHBoxLayout(panel)
    h.setContentsMargins(0, 0, 0, 0)
    split = QSplitter(Qt.Orientation.Horizontal)  # the controls can be dragged out of the way
    split.setObjectName("trainSplitter")
    split.addWidget(_controls(panel))
    split.addWidget(_plots(panel))
    split.setStretchFactor(0, 0)
    split.setStretchFactor(1, 1)
    split.setCollapsible(0, True)
    split.setCollapsible(1, False)
    h.addWidget(split)
    panel.train_splitter = split
    panel.plot_tabs.maximizeToggled.connect(lambda: toggle_maximized(panel))


def toggle_maximized(panel: Any) -> bool:
    """Fold the controls column away so the plots fill the panel, or bring it back; True: plots maximised."""
    controls = panel.train_splitter.widget(0)
    controls.setHidden(not controls.isHidden())
    return controls.isHidden()
