"""The designer's main window: palette, canvas, inspector, problems, history; files and editing.

Everything shown is rebuilt from the open :class:`~designer.document.DesignDocument`; the window
only wires widgets together and turns menu actions into commands; files live in
:mod:`designer.file_actions`, editing gestures in :mod:`designer.edit_actions`. The training and
beam-search panels are composed in through the :class:`designer.panels.Panel` interface
(``MainWindow(panels=...)``), each a dock tabbed with the problems list, with its menu before
Help and its actions on the toolbar.

While the document is locked (not ``document.editable``: a run trains on the design) the window
disables what would edit the model — palette, history, New/Open, cut/paste/duplicate/delete,
undo/redo of model changes — and shows each refused edit in the status bar.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QMessageBox, QToolBar, QWidget

from engine.document.blocks import BLOCKS, GROUPS
from engine.model.graph import CheckReport

from .canvas.scene import DesignScene
from .canvas.view import CanvasView
from .document import DesignDocument
from .edit_actions import EditActions
from .file_actions import APP_NAME, ORG_NAME, STATUS_MESSAGE_MS, FileActions, bundled_examples, default_example  # noqa: F401 (re-exported)
from .history_view import HistoryView
from .icons import app_icon, block_icon
from .inspector import InspectorWidget
from .palette import PaletteWidget
from .panels import Panel, PanelDocking, PanelsFactory
from .problems import ProblemsWidget, count_text, plural
from .quick_add import QuickAddPopup
from .welcome import install_welcome
from .window_geometry import default_layout, place_window, raise_first_panel, restore_docks, save_window

PANELS_AFTER_SHOW_MS = 50


class MainWindow(FileActions, EditActions, PanelDocking):
    nodes_selected = Signal(list)  # the canvas selection changed: the selected node ids, in the document's order

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None,
                 defer_panels: bool = False, panels: PanelsFactory | None = None) -> None:
        """``panels``: builds the window's panels (:mod:`designer.panels`); None means
        :func:`~designer.panels.standard_panels`, the training and beam panels. ``defer_panels``:
        build them (and import pyqtgraph for them) just after the window first shows, so it
        appears sooner; ``rnn-designer`` starts that way."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.settings = settings if settings is not None else QSettings(ORG_NAME, APP_NAME)
        self.document = DesignDocument(self)
        self.scene = DesignScene(self.document, self)
        self.view = CanvasView(self.scene, self)
        self.setCentralWidget(self.view)
        self.palette = PaletteWidget(self)
        self.inspector = InspectorWidget(self.document, self)
        self.problems = ProblemsWidget(self.document, self)
        self.history = HistoryView(self.document.undo_stack, self)  # undone entries greyed
        self.quick_add = QuickAddPopup(self)
        self._quick_add_pos = None
        self.docks: dict[str, QDockWidget] = {}
        self.panels: dict[str, Panel] = {}
        self.panel_menus: dict[str, QMenu] = {}
        self._panels_factory = panels
        self._panels_composed = False
        self._first_show = True
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status()
        self._connect()
        install_welcome(self)  # the start page over the canvas; File ▸ Open Last File at Start
        self._defer_panels = defer_panels
        if not defer_panels:
            self.install_panels()
        self.setAcceptDrops(True)
        place_window(self, self.settings)  # the last size and docks, or fitted to the screen
        self._update_title()
        self._update_status(self.document.report)
        self._update_actions()

    def install_panels(self) -> None:
        """Compose the panels (once): by default the training panel and the beam explorer."""
        if self._panels_composed:
            return
        self._panels_composed = True
        factory = self._panels_factory
        if factory is None:
            from .panels import standard_panels  # noqa: PLC0415 - lazily: the panels bring pyqtgraph

            factory = standard_panels
        self.compose_panels(factory)
        self.raise_first_panel()
        QTimer.singleShot(0, self.raise_first_panel)  # again once the new docks' tab bar is laid out
        if self.isVisible():
            default_layout(self)  # a saved layout, restored below, wins
        if self._defer_panels:
            restore_docks(self, self.settings)  # the panels' docks were not there at the first restore
        self.welcome.cover_docks()  # a start page showing keeps the new docks covered too

    @property
    def training_panel(self) -> QWidget | None:
        """The training panel (:class:`designer.training.TrainingPanel`), once composed."""
        return self.panel_widget("training")

    @property
    def beam_panel(self) -> QWidget | None:
        """The beam explorer (:class:`designer.beam.BeamPanel`), once composed."""
        return self.panel_widget("beam")

    @property
    def actionTrain(self) -> QAction | None:  # noqa: N802 - the action's object name
        return self.panel_action("actionTrain")

    @property
    def actionStop(self) -> QAction | None:  # noqa: N802 - the action's object name
        return self.panel_action("actionStop")

    def show_status(self, text: str) -> None:
        """A short message in the status bar (what a panel says through :class:`designer.panels.PanelHost`)."""
        self.statusBar().showMessage(text, STATUS_MESSAGE_MS)

    def add_help_action(self, action: QAction) -> None:
        """Add an entry to the Help menu, above About."""
        self.menu_help.insertAction(self.actionAbout, action)

    # ================================================================== construction
    def _build_docks(self) -> None:
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)  # wide plots below
        self.dock("palette", "Blocks", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.dock("inspector", "Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        problems = self.dock("problems", "Problems", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea)
        history = self.dock("history", "History", self.history, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(problems, history)
        problems.raise_()
        self.resizeDocks([self.docks["palette"], self.docks["inspector"]], [230, 300], Qt.Orientation.Horizontal)
        self.resizeDocks([problems], [140], Qt.Orientation.Vertical)

    def _action(self, name: str, text: str, slot, shortcut=None, tip: str = "",  # noqa: ANN001
                context: Qt.ShortcutContext | None = None) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if context is not None:
            action.setShortcutContext(context)
            self.view.addAction(action)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def watch_run(self, path: str | Path | None = None) -> bool:
        """File ▸ Watch Run…: follow the live stream of the run in folder ``path`` (asked for when
        None) — ``rnn-designer train`` in a terminal, or rank 0 of torchrun — until it ends; a
        finished run opens as history. False when there is nothing to watch (the panel says why)."""
        self.install_panels()
        panel = self.training_panel
        if path is None:
            path = panel.choose_run_folder()
            if path is None:
                return False
        dock = self.docks.get("training")
        if dock is not None:
            dock.show()
            dock.raise_()
        return panel.watch_run(path)

    def export_model(self) -> None:
        """File ▸ Export Model…: the trained model as PyTorch code or ONNX (a non-modal dialog)."""
        from designer.export_dialog import open_export_dialog

        open_export_dialog(self)

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.actionWatchRun = self._action("actionWatchRun", "&Watch Run…", self.watch_run, None,
                                           "Follow a training run started from a terminal or by torchrun")
        self.actionExportModel = self._action("actionExportModel", "&Export Model…", self.export_model, None,
                                              "Export the trained model as PyTorch code or as ONNX graphs")
        canvas_only = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.actionNew = self._action("actionNew", "&New", self.new_design, K.New, "Start an empty design")
        self.actionOpen = self._action("actionOpen", "&Open…", self.open_file, K.Open, "Open a design file")
        self.actionSave = self._action("actionSave", "&Save", self.save, K.Save, "Save the design")
        self.actionSaveAs = self._action("actionSaveAs", "Save &As…", self.save_as, K.SaveAs,
                                         "Save the design under a new name")
        self.actionQuit = self._action("actionQuit", "&Quit", self.close, K.Quit)
        stack = self.document.undo_stack
        # not stack.createUndoAction: those call the stack in C++, past the document's lock
        self.actionUndo = self._action("actionUndo", "&Undo", stack.undo,
                                       _unique([QKeySequence(K.Undo), QKeySequence("Ctrl+Z")]))
        self.actionRedo = self._action("actionRedo", "&Redo", stack.redo,
                                       _unique([QKeySequence(K.Redo), QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]))
        stack.undoTextChanged.connect(lambda t: self.actionUndo.setText(f"&Undo {t}" if t else "&Undo"))
        stack.redoTextChanged.connect(lambda t: self.actionRedo.setText(f"&Redo {t}" if t else "&Redo"))
        self.actionCut = self._action("actionCut", "Cu&t", self.cut, K.Cut, context=canvas_only)
        self.actionCopy = self._action("actionCopy", "&Copy", self.copy, K.Copy, context=canvas_only)
        self.actionPaste = self._action("actionPaste", "&Paste", self.paste, K.Paste, context=canvas_only)
        self.actionDuplicate = self._action("actionDuplicate", "D&uplicate", self.duplicate, "Ctrl+D",
                                            "Duplicate the selected blocks", context=canvas_only)
        self.actionDelete = self._action("actionDelete", "&Delete", self.delete_selection,
                                         [QKeySequence(K.Delete), QKeySequence("Backspace")],
                                         "Delete the selected blocks and connections", context=canvas_only)
        self.actionSelectAll = self._action("actionSelectAll", "Select &All", self.select_all, K.SelectAll,
                                            context=canvas_only)
        self.actionQuickAdd = self._action("actionQuickAdd", "&Add Block…", self.open_quick_add, None,
                                           "Search the catalog and add a block (Tab on the canvas)")
        self.actionZoomIn = self._action("actionZoomIn", "Zoom &In", self.view.zoom_in, [K.ZoomIn, "Ctrl+="])
        self.actionZoomOut = self._action("actionZoomOut", "Zoom &Out", self.view.zoom_out, K.ZoomOut)
        self.actionZoomReset = self._action("actionZoomReset", "&Actual Size", self.view.reset_zoom, "Ctrl+0")
        self.actionArrange = self._action("actionArrange", "A&rrange Blocks", self.arrange, "Ctrl+L",
                                          "Lay the blocks out left to right in the order data flows")
        self.actionFit = self._action("actionFit", "&Fit Design", self.view.fit_all, "Ctrl+Shift+F",
                                      "Zoom to show the whole design")
        self.actionSnap = QAction("&Snap to Grid", self)
        self.actionSnap.setObjectName("actionSnap")
        self.actionSnap.setCheckable(True)
        self.actionSnap.setChecked(True)
        self.actionSnap.toggled.connect(lambda on: setattr(self.scene, "snap_to_grid", on))
        self.actionAbout = self._action("actionAbout", "&About RNN Designer", self.about)
        self.actionHelp = self._action("actionHelp", "&Quick Start", self.quick_help, K.HelpContents)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addAction(self.actionNew)
        self.menu_templates = m.addMenu("New from &Template")
        self.menu_templates.setObjectName("menuTemplates")
        self.menu_templates.aboutToShow.connect(self._fill_templates)
        m.addAction(self.actionOpen)
        self.menu_recent = m.addMenu("Open &Recent")
        self.menu_recent.setObjectName("menuRecent")
        self.menu_recent.aboutToShow.connect(self._fill_recent)
        m.addAction(self.actionWatchRun)
        m.addSeparator()
        m.addAction(self.actionSave)
        m.addAction(self.actionSaveAs)
        m.addAction(self.actionExportModel)
        m.addSeparator()
        m.addAction(self.actionQuit)
        e = bar.addMenu("&Edit")
        for a in (self.actionUndo, self.actionRedo, None, self.actionCut, self.actionCopy, self.actionPaste,
                  self.actionDuplicate, self.actionDelete, None, self.actionSelectAll, self.actionQuickAdd):
            e.addSeparator() if a is None else e.addAction(a)
        self.menu_add = e.addMenu("Add &Block")
        for group in GROUPS:
            self.menu_add.addSection(group)
            for spec in BLOCKS.values():
                if spec.group == group:
                    act = self.menu_add.addAction(block_icon(spec.kind), spec.title)
                    act.setStatusTip(spec.help)
                    act.triggered.connect(lambda _c=False, k=spec.kind: self.add_block_at_center(k))
        v = bar.addMenu("&View")
        for a in (self.actionZoomIn, self.actionZoomOut, self.actionZoomReset, self.actionFit, None, self.actionArrange,
                  self.actionSnap):
            v.addSeparator() if a is None else v.addAction(a)
        v.addSeparator()
        self.menu_panels = v.addMenu("&Panels")
        for dock in self.docks.values():
            self.menu_panels.addAction(dock.toggleViewAction())
        self.menu_help = bar.addMenu("&Help")
        self.menu_help.setObjectName("menuHelp")
        self.menu_help.addAction(self.actionHelp)
        self.menu_help.addAction(self.actionAbout)

    def _build_toolbar(self) -> None:
        tb = self.toolbar = QToolBar("Main", self)
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        # the toolbar's undo/redo keep short labels; the Edit menu's say what will be undone
        stack = self.document.undo_stack
        self.toolUndo = QAction("Undo", self)
        self.toolUndo.setObjectName("toolUndo")
        self.toolUndo.triggered.connect(lambda _c=False: stack.undo())
        self.toolRedo = QAction("Redo", self)
        self.toolRedo.setObjectName("toolRedo")
        self.toolRedo.triggered.connect(lambda _c=False: stack.redo())
        for act, text in ((self.toolUndo, stack.undoTextChanged), (self.toolRedo, stack.redoTextChanged)):
            label = act.text()
            text.connect(lambda t, a=act, lb=label: a.setToolTip(f"{lb} {t}" if t else lb))
        for a in (self.actionNew, self.actionOpen, self.actionSave, None, self.toolUndo, self.toolRedo, None,
                  self.actionDelete, self.actionDuplicate, None, self.actionArrange, self.actionFit,
                  self.actionZoomIn, self.actionZoomOut):
            tb.addSeparator() if a is None else tb.addAction(a)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.status_architecture = QLabel()
        self.status_architecture.setObjectName("statusArchitecture")
        self.status_params = QLabel()
        self.status_params.setObjectName("statusParams")
        self.status_problems = QLabel()
        self.status_problems.setObjectName("statusProblems")
        self.status_zoom = QLabel("100%")
        self.status_zoom.setObjectName("statusZoom")
        for w in (self.status_architecture, self.status_params, self.status_problems, self.status_zoom):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)

    def _connect(self) -> None:
        d = self.document
        d.checked.connect(self._update_status)
        d.dirty_changed.connect(lambda _dirty: self._update_title())
        d.path_changed.connect(lambda _p: self._update_title())
        d.design_event.connect(lambda ev: self._update_title() if ev.type == "name_changed" else None)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.refused.connect(lambda reason: self.statusBar().showMessage(f"Not connected: {reason}", STATUS_MESSAGE_MS))
        self.scene.notice.connect(self.show_status)
        self.scene.hint.connect(self._show_hint)
        d.edit_refused.connect(self.show_status)
        d.editable_changed.connect(lambda _editable: self._update_actions())
        stack = d.undo_stack
        for changed in (stack.indexChanged, stack.canUndoChanged, stack.canRedoChanged):
            changed.connect(self._update_undo_actions)
        self.palette.block_activated.connect(self.add_block_at_center)
        self.problems.node_activated.connect(self.select_node)
        self.problems.fixed.connect(lambda label: self.statusBar().showMessage(
            f"Fixed: {label} (Edit ▸ Undo takes it back)", STATUS_MESSAGE_MS))
        self.problems.task_requested.connect(
            lambda: self.training_panel.form.ask_for_task() if getattr(self, "training_panel", None) else None)
        self.view.files_dropped.connect(self.open_dropped)
        self.view.quick_add_requested.connect(self.open_quick_add)
        self.view.zoom_changed.connect(lambda z: self.status_zoom.setText(f"{z * 100:.0f}%"))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._canvas_menu)
        self.quick_add.chosen.connect(self._quick_add_chosen)

    # ================================================================== state shown
    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.display_name()}[*] — {APP_NAME}")
        self.setWindowModified(self.document.dirty)

    def _update_status(self, report: CheckReport) -> None:
        arch = report.architecture
        self.status_architecture.setText(f"Architecture: <b>{arch}</b>" if arch else "Architecture: <i>incomplete</i>")
        self.status_params.setText(f"Parameters: <b>{report.total_params:,}</b>")
        e, w = len(report.errors), len(report.warnings)  # counted alike here, in the Problems tab and the inspector
        if e:
            self.status_problems.setText(f"<span style='color:#c62828'>● {count_text(e, 0)}</span>"
                                         + (f", {plural(w, 'warning')}" if w else ""))
        elif not self.document.design.metadata.get("task"):  # ready only with a task to train on (the no-task warning)
            self.status_problems.setText("<span style='color:#a15c00'>● no task: pick one in the Training panel</span>"
                                         + (f" · {plural(w - 1, 'more warning')}" if w > 1 else ""))
        elif w:
            self.status_problems.setText(f"<span style='color:#2e7d32'>● ready to train</span> · {plural(w, 'warning')}")
        else:
            self.status_problems.setText("<span style='color:#2e7d32'>● ready to train</span>")
        counts = count_text(e, w)
        self.docks["problems"].setWindowTitle(f"Problems ({counts})" if counts else "Problems")

    def _show_hint(self, text: str) -> None:
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def _selection_changed(self) -> None:
        try:
            ids = self.scene.selected_node_ids()
        except RuntimeError:  # the scene is clearing its items (a new design, the window closing)
            return
        self.inspector.show_selection(ids)
        self._update_actions()
        self.nodes_selected.emit(ids)

    def _update_actions(self) -> None:
        """What can be done now: follows the selection and whether the design is editable."""
        editable = self.document.editable
        nodes = bool(self.scene.selected_node_ids())
        anything = nodes or bool(self.scene.selected_edges())
        self.actionDelete.setEnabled(anything and editable)
        self.actionCopy.setEnabled(nodes)
        self.actionCut.setEnabled(nodes and editable)
        self.actionDuplicate.setEnabled(nodes and editable)
        for action in (self.actionNew, self.actionOpen, self.actionPaste, self.actionQuickAdd,
                       self.menu_templates.menuAction(), self.menu_recent.menuAction(), self.menu_add.menuAction()):
            action.setEnabled(editable)
        self.palette.setEnabled(editable)
        self.history.setEnabled(editable)  # Qt's history view jumps the stack in C++, past the lock
        self._update_undo_actions()

    def _update_undo_actions(self, *_changed: object) -> None:
        stack = self.document.undo_stack
        can_undo, can_redo = stack.step_allowed(forward=False), stack.step_allowed(forward=True)
        for action in (self.actionUndo, self.toolUndo):
            action.setEnabled(can_undo)
        for action in (self.actionRedo, self.toolRedo):
            action.setEnabled(can_redo)

    # ================================================================== help
    def quick_help(self) -> None:
        """Help ▸ Quick Start: the journey from an empty canvas to a stepped beam, beside the window."""
        from .quick_start import show_quick_start

        show_quick_start(self)

    def about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<b>{APP_NAME}</b><br>Design recurrent neural networks visually, train them live, "
                          "look inside their gates and step through beam search.")

    # ================================================================== window life
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            if not self._panels_composed:  # after the first paint: the window is already on screen
                QTimer.singleShot(PANELS_AFTER_SHOW_MS, self.install_panels)
            elif not self.settings.contains("window/state"):
                default_layout(self)
            self.view.fit_all()

    def raise_first_panel(self) -> None:
        """The bottom tab a design opens on: its problems when it has any, else the training panel."""
        raise_first_panel(self, bool(self.document.report.problems))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.maybe_leave("closing the window"):  # unsaved changes, then a run or an unsaved model
            event.ignore()
            return
        save_window(self, self.settings)
        self.shutdown_panels()  # each stops what it runs and waits for it
        self.quick_add.hide()
        self.statusBar().clearMessage()  # stops the status bar's message timer
        self.scene.shutdown()
        self.document.close()
        event.accept()


def _unique(keys: list[QKeySequence]) -> list[QKeySequence]:
    out: list[QKeySequence] = []
    for k in keys:
        if not k.isEmpty() and k not in out:
            out.append(k)
    return out

