"""The training panel as one of the window's panels (:class:`designer.panels.Panel`).

:class:`TrainingDock` builds the panel for a :class:`~designer.panels.PanelHost`, with its actions
(``actionTrain`` F5, ``actionStop`` Shift+F5, pause, checkpoints, metrics), the Train menu and the
toolbar's Train / Stop. While a run goes on it locks the design through the document
(:meth:`~designer.document.DesignDocument.set_editable`), so the canvas, the inspector, the
commands and the window all refuse model edits and say why; it unlocks when the run ends.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from ..panels import PanelHost
from ..problems import refusal_text
from .panel import TrainingPanel

PANEL_KEY = "training"
PANEL_TITLE = "Training"
LOCKED_NOTE = "Training is running: stop it to change blocks, wires or parameters."


def _action(owner: QObject, name: str, text: str, shortcut: str | None, tip: str) -> QAction:
    action = QAction(text, owner)
    action.setObjectName(name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip)
    action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
    return action


class TrainingDock:
    """The training panel, its actions and menu, composed into a window through its host."""

    key = PANEL_KEY
    title = PANEL_TITLE
    area = Qt.DockWidgetArea.BottomDockWidgetArea

    def __init__(self, host: PanelHost) -> None:
        self.host = host
        self.document = host.document
        self.panel = TrainingPanel(self.document)
        panel = self.panel
        self.actionTrain = _action(panel, "actionTrain", "&Train", "F5", "Train the design on its task")
        self.actionStop = _action(panel, "actionStop", "&Stop Training", "Shift+F5",
                                  "Stop the run after the batch in flight")
        self.actionStop.setIconText("Stop")
        self.actionPause = _action(panel, "actionPauseTraining", "&Pause / Resume", "F6", "Hold the run, or go on")
        self.actionSave = _action(panel, "actionSaveCheckpoint", "Save &Checkpoint", None,
                                  "Save the trained weights beside the design")
        self.actionLoad = _action(panel, "actionLoadCheckpoint", "&Load Checkpoint…", None,
                                  "Load weights trained for this design")
        self.actionExport = _action(panel, "actionExportMetrics", "&Export Metrics…", None,
                                    "Write the run's metrics as CSV")
        self.actionTrain.triggered.connect(self.train)
        self.actionStop.triggered.connect(panel.stop)
        self.actionPause.triggered.connect(panel.toggle_pause)
        self.actionSave.triggered.connect(lambda: panel.save_checkpoint())
        self.actionLoad.triggered.connect(lambda: panel.load_checkpoint())
        self.actionExport.triggered.connect(lambda: panel.export_metrics())
        panel.runningChanged.connect(self._running_changed)
        host.nodes_selected.connect(self._nodes_selected)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(panel.shutdown)
        self._running_changed(False)

    # ------------------------------------------------------------------ the Panel interface
    @property
    def widget(self) -> QWidget:
        return self.panel

    def menu(self, parent: QWidget) -> QMenu:
        menu = QMenu("T&rain", parent)
        menu.setObjectName("menuTrain")
        for a in (self.actionTrain, self.actionPause, self.actionStop, None, self.actionSave, self.actionLoad,
                  self.actionExport):
            menu.addSeparator() if a is None else menu.addAction(a)
        menu.aboutToShow.connect(lambda: self._running_changed(self.panel.running))
        return menu

    def toolbar_actions(self) -> Sequence[QAction]:
        return (self.actionTrain, self.actionStop)

    def shortcut_actions(self) -> Sequence[QAction]:
        return ()  # the Train menu's shortcuts already work across the window

    def shutdown(self) -> None:
        self.panel.shutdown()  # stops a run and waits for it

    # ------------------------------------------------------------------ behaviour
    def train(self) -> None:
        """Bring the panel forward and start a run; the docks keep the sizes the user gave them."""
        self.host.reveal_panel(self.key)
        if not self.panel.start() and self.document.report.errors:
            # refused for the design's errors: their list comes forward, the window's status names the first
            self.host.reveal_panel("problems")
            self.host.show_status(refusal_text(self.document.report))

    def _running_changed(self, running: bool) -> None:
        panel = self.panel
        self.actionTrain.setEnabled(not running)
        self.actionStop.setEnabled(running)
        self.actionPause.setEnabled(running)
        self.actionSave.setEnabled(panel.save_button.isEnabled())
        self.actionLoad.setEnabled(not running)
        self.actionExport.setEnabled(panel.export_button.isEnabled())
        # the run trains a copy of the design: its blocks, wires and parameters must stay as they are
        if running:
            self.document.set_editable(False, LOCKED_NOTE)
        elif not self.document.editable and self.document.lock_reason == LOCKED_NOTE:
            self.document.set_editable(True)

    def _nodes_selected(self, node_ids: list[str]) -> None:
        if len(node_ids) == 1:
            self.panel.select_block(node_ids[0])
