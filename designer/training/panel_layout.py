"""How the training panel is laid out: the form and controls in a column on the left, the probe
picker above the four live plots on the right (loss | gradient flow over gates | states),
which scroll sideways in a dock too narrow for them.

:func:`build_panel` creates every widget once and sets them as attributes of the panel; the
panel's behaviour lives in :mod:`designer.training.panel`.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
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

LEFT_WIDTH = 340
PLOTS_MIN_WIDTH = 440  # below this the plot area scrolls sideways
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


def _plots(panel: Any) -> QWidget:
    """The right side: which probe, then loss | gradient flow over gates | states."""
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
    top = QSplitter(Qt.Orientation.Horizontal)
    top.addWidget(panel.loss_plot)
    panel.attention_plot = AttentionPlot()  # an attending decoder's matrix and entropy; hidden otherwise
    panel.attention_plot.setMinimumSize(PLOT_MIN_WIDTH, PLOT_MIN_HEIGHT)
    panel.attention_plot.setVisible(False)
    top.addWidget(panel.attention_plot)  # beside the loss: what an attending design is watched for
    top.addWidget(panel.gradient_plot)
    bottom = QSplitter(Qt.Orientation.Horizontal)
    bottom.addWidget(panel.gate_plot)
    bottom.addWidget(panel.state_plot)
    bottom.setSizes([560, 440])
    rows = QSplitter(Qt.Orientation.Vertical)
    rows.setObjectName("plotSplitter")
    rows.addWidget(top)
    rows.addWidget(bottom)
    rows.setSizes([300, 460])
    for splitter in (top, bottom, rows):
        splitter.setChildrenCollapsible(False)
    for plot in (panel.loss_plot, panel.gradient_plot, panel.gate_plot, panel.state_plot):
        plot.setMinimumSize(PLOT_MIN_WIDTH, PLOT_MIN_HEIGHT)
        plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    v.addWidget(rows, 1)
    scroll = QScrollArea()  # a small dock scrolls the plots instead of growing the window
    scroll.setObjectName("trainPlots")
    scroll.setWidget(area)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setMinimumWidth(PLOTS_MIN_WIDTH)
    return scroll


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
