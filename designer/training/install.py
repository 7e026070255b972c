"""Wiring the training panel into the main window (what ``MainWindow`` calls once)."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from .edit_lock import LOCKED_NOTE, EditLock
from .panel import TrainingPanel

TRAIN_DOCK_SHARE = 0.6  # of the window's height the training dock takes when Train is pressed


def _action(window: Any, name: str, text: str, shortcut: str | None, tip: str) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip)
    action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
    return action


def install_training(window: Any) -> TrainingPanel:
    """Add the training panel, its actions, menu and toolbar buttons, and the edit lock to ``window``."""
    panel = TrainingPanel(window.document, window)
    dock = window.add_panel("training", "Training", panel)
    window.docks["problems"].raise_()  # the window opens on the design's problems; torch loads later

    window.actionTrain = _action(window, "actionTrain", "&Train", "F5", "Train the design on its task")
    window.actionStop = _action(window, "actionStop", "&Stop Training", "Shift+F5",
                                "Stop the run after the batch in flight")
    window.actionStop.setIconText("Stop")
    pause = _action(window, "actionPauseTraining", "&Pause / Resume", "F6", "Hold the run, or go on")
    save = _action(window, "actionSaveCheckpoint", "Save &Checkpoint", None, "Save the trained weights beside the design")
    load = _action(window, "actionLoadCheckpoint", "&Load Checkpoint…", None, "Load weights trained for this design")
    export = _action(window, "actionExportMetrics", "&Export Metrics…", None, "Write the run's metrics as CSV")

    def train() -> None:
        dock.show()
        dock.raise_()
        if not dock.isFloating() and dock.height() < TRAIN_DOCK_SHARE * window.height():
            # the plots need room: the canvas above stays usable (moving blocks is allowed meanwhile)
            window.resizeDocks([dock], [int(TRAIN_DOCK_SHARE * window.height())], Qt.Orientation.Vertical)
        panel.start()

    window.actionTrain.triggered.connect(train)
    window.actionStop.triggered.connect(panel.stop)
    pause.triggered.connect(panel.toggle_pause)
    save.triggered.connect(lambda: panel.save_checkpoint())
    load.triggered.connect(lambda: panel.load_checkpoint())
    export.triggered.connect(lambda: panel.export_metrics())

    menu = QMenu("T&rain", window)
    menu.setObjectName("menuTrain")
    for a in (window.actionTrain, pause, window.actionStop, None, save, load, export):
        menu.addSeparator() if a is None else menu.addAction(a)
    bar = window.menuBar()
    help_menu = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
    if help_menu is not None:
        bar.insertMenu(help_menu, menu)
    else:
        bar.addMenu(menu)
    toolbar = window.findChild(QToolBar, "mainToolbar")
    if toolbar is not None:
        toolbar.addSeparator()
        toolbar.addAction(window.actionTrain)
        toolbar.addAction(window.actionStop)

    editing = [getattr(window, n) for n in ("actionNew", "actionOpen", "actionCut", "actionPaste", "actionDuplicate",
                                             "actionDelete", "actionQuickAdd", "actionUndo", "actionRedo", "toolUndo",
                                             "toolRedo") if hasattr(window, n)]
    editing += [m.menuAction() for m in (getattr(window, "menu_templates", None), getattr(window, "menu_recent", None),
                                         getattr(window, "menu_add", None)) if m is not None]
    lock = EditLock(window.document, window.scene, window.view, [window.palette, window.inspector, window.history],
                    editing, window.document.undo_stack, parent=panel)
    panel.edit_lock = lock

    def running_changed(running: bool) -> None:
        window.actionTrain.setEnabled(not running)
        window.actionStop.setEnabled(running)
        pause.setEnabled(running)
        save.setEnabled(panel.save_button.isEnabled())
        load.setEnabled(not running)
        export.setEnabled(panel.export_button.isEnabled())
        if running:
            lock.engage(LOCKED_NOTE)
        else:
            lock.release()

    panel.runningChanged.connect(running_changed)
    menu.aboutToShow.connect(lambda: running_changed(panel.running))
    running_changed(False)

    def selection_changed() -> None:
        try:
            ids = window.scene.selected_node_ids()
        except RuntimeError:  # the scene is clearing its items (a new design, the window closing)
            return
        if len(ids) == 1:
            panel.select_block(ids[0])

    window.scene.selectionChanged.connect(selection_changed)
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(panel.shutdown)
    dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
    return panel
