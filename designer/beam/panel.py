"""The beam explorer: step a live beam search on a trained decoder and watch its tree grow.

The panel owns one :class:`engine.beam.BeamSearch` at a time (a model, a source, the settings);
every button only calls the engine — ``step``, ``back``, ``run``, ``reset``, ``force`` — and then
shows the engine's tree, beam and n-best list as they now are. Decoding runs on the GUI thread:
one step of a decoder is a single batched call of a few milliseconds.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QMessageBox, QSplitter, QVBoxLayout, QWidget

from engine.errors import DesignerError

from .attention_strip import AttentionStrip
from .controls import SearchControls
from .export import FILTERS, ask_export_path, export_tree
from .model_source import BeamModel, SourceExample
from .ranking import RankingColumn
from .scene import BeamTreeScene
from .summary import greedy_text, status_text
from .toolbar import BeamHeader, make_action
from .view import BeamTreeView

SHORTCUTS = {"step": "F10", "back": "Shift+F10", "run": "Ctrl+F10", "reset": "Ctrl+Shift+F10"}
CHECKPOINT_FILTER = "Checkpoints (*.safetensors *.json);;All files (*)"
ERROR_STYLE = "color: #ff6b6b;"


class BeamPanel(QWidget):
    searchChanged = Signal()  # after every change of the search or of what it runs on

    def __init__(self, document: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("beamPanel")
        self.document = document  # designer.document.DesignDocument, for "Load checkpoint…"
        self.beam_model: BeamModel | None = None
        self.search: Any = None  # engine.beam.BeamSearch
        self.source: SourceExample | None = None
        self.greedy: Any = None  # engine.beam.Hypothesis
        self._marks: list[int] = []  # the search's step count before each Step, Run or what-if: what Back returns to
        self._model_in_document = False  # the model came while the open document was open: it is the document's
        self.scene = BeamTreeScene(self)
        self.view = BeamTreeView(self.scene, self)
        self.controls = SearchControls(self)
        self.ranking = RankingColumn(self)
        self.beam_list, self.nbest_list = self.ranking.beam_list, self.ranking.nbest_list
        self.greedy_label = self.ranking.greedy_label
        self._build_actions()
        self._build_layout()
        self._connect()
        self._update()

    # ================================================================== construction
    def _build_actions(self) -> None:
        self.actionStep = make_action(self, "actionBeamStep", "Step", self.step, SHORTCUTS["step"],
                                       "Expand every hypothesis in the beam by one token")
        self.actionBack = make_action(self, "actionBeamBack", "Back", self.back, SHORTCUTS["back"],
                                       "Undo the last step, Run to End or what-if")
        self.actionRun = make_action(self, "actionBeamRun", "Run to End", self.run_to_end, SHORTCUTS["run"],
                                      "Step until the search is done")
        self.actionReset = make_action(self, "actionBeamReset", "Reset", self.reset, SHORTCUTS["reset"],
                                        "Back to the start token")
        self.actionFit = make_action(self, "actionBeamFit", "Fit", self.view.fit_all, None, "Show the whole tree (F)")
        self.actionZoomIn = make_action(self, "actionBeamZoomIn", "+", self.view.zoom_in, None, "Zoom in (+, wheel)")
        self.actionZoomOut = make_action(self, "actionBeamZoomOut", "−", self.view.zoom_out, None, "Zoom out (−, wheel)")
        self.actionBeamOnly = make_action(self, "actionBeamOnly", "Beam only", lambda: None, None,
                                          "Hide the rejected branches pruned before the last few steps (the box beside "
                                          "says how many), so a wide beam stays readable")
        self.actionBeamOnly.setCheckable(True)
        self.actionBeamOnly.toggled.connect(lambda _on: self._beam_only_changed())
        self.actionLoad = make_action(self, "actionBeamLoadCheckpoint", "Load Checkpoint…", self.load_checkpoint, None,
                                       "Search with a checkpoint trained for the open design")
        self.export_actions = {}
        for suffix, label in FILTERS.items():
            self.export_actions[suffix] = make_action(self, f"actionBeamExport{suffix[1:].upper()}",
                                                       f"Export {label.split(' (')[0]}…",
                                                       lambda s=suffix: self.export_dialog(s), None,
                                                       f"Write the tree as {label.split(' (')[0]}")
        for action in (self.actionFit, self.actionZoomIn, self.actionZoomOut, self.actionBeamOnly,
                       *self.export_actions.values()):
            self.removeAction(action)  # only the search actions carry panel-wide shortcuts

    def _build_layout(self) -> None:
        self.header = BeamHeader((self.actionStep, self.actionBack, self.actionRun, self.actionReset),
                                 (self.actionFit, self.actionZoomOut, self.actionZoomIn), self.actionBeamOnly,
                                 self.export_actions.values(), self)
        self.export_button, self.model_label = self.header.export_button, self.header.model_label
        self.stale_label = self.header.stale_label
        self.header.keep_steps.valueChanged.connect(lambda _v: self._beam_only_changed())

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.ranking)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([760, 300])
        self.status_label = QLabel(self)
        self.status_label.setObjectName("beamStatus")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.controls)
        layout.addWidget(self.header)
        layout.addWidget(self.splitter, 1)
        self.attention_strip = AttentionStrip(self)  # where the selected node's step attended
        layout.addWidget(self.attention_strip)
        layout.addWidget(self.status_label)

    def _connect(self) -> None:
        c = self.controls
        c.source_entered.connect(self.set_source_text)
        c.example_chosen.connect(self.choose_example)
        c.settings_changed.connect(self._settings_changed)
        c.load_requested.connect(self.load_checkpoint)
        self.view.node_clicked.connect(self.force)
        self.view.node_clicked.connect(self.select_node)
        self.view.node_menu_requested.connect(self._node_menu)
        self.view.step_requested.connect(self.step)
        self.view.back_requested.connect(self.back)
        for lst in (self.beam_list, self.nbest_list):
            lst.node_activated.connect(self._show_node)
        if self.document is not None and hasattr(self.document, "checked"):
            self.document.checked.connect(lambda _report: self._update_stale())
        if self.document is not None and hasattr(self.document, "path_changed"):
            self.document.design_replaced.connect(self._design_replaced)
            self.document.path_changed.connect(lambda _path: self._update_header())

    # ================================================================== the model
    def set_trained(self, trained: Any) -> bool:
        """Search with a model the training panel just trained (or loaded): a record with
        ``model``, ``task``, ``design_hash``, ``checkpoint_path`` and ``metrics``."""
        try:
            model = BeamModel.from_trained(trained)
        except DesignerError as exc:  # fed automatically after every run: say it here, no dialog
            self._say(str(exc), error=True)
            return False
        self.set_model(model)
        return True

    def load_checkpoint(self, path: str | Path | None = None) -> bool:
        """Load a checkpoint for the design open in the window (asks for the file when ``path`` is None)."""
        design = getattr(self.document, "design", None)
        if path is None:
            doc_path = getattr(self.document, "path", None)
            start = str(Path(doc_path).parent) if doc_path else str(Path.home())
            chosen, _ = QFileDialog.getOpenFileName(self, "Load checkpoint", start, CHECKPOINT_FILTER)
            if not chosen:
                return False
            path = chosen
        try:
            model = BeamModel.from_checkpoint(path, design)
        except DesignerError as exc:
            self._fail("Cannot load checkpoint", str(exc))
            return False
        self.set_model(model)
        return True

    def set_model(self, model: BeamModel) -> None:
        """Search with ``model`` from now on; the source stays when it still reads, else the first example."""
        self.beam_model = model
        self._model_in_document = getattr(self.document, "design", None) is not None
        self._update_header()
        examples = model.examples()
        self.controls.set_examples(examples, model.source_hint())
        self.controls.set_settings(max_len=int(getattr(model.model, "max_len", 12) or 12),
                                   min_len=model.default_min_len(), quiet=True)
        self.view.hint = ""
        text = self.controls.source.currentText()
        if not (text.strip() and self._use_source_text(text)):
            if examples:
                self.choose_example(0)
            else:
                self._clear_search("Type a source and press Enter.")
        self._update_stale()

    def clear_model(self) -> None:
        """Forget the model and its tree (another design was opened in the window)."""
        self.beam_model = None
        self.model_label.setText("")
        self.model_label.setToolTip("")
        self.controls.set_examples([], "")
        self.controls.show_source("", None)
        self._clear_search("Train the design or load a checkpoint to explore its beam search.")
        self._update_stale()

    # ================================================================== the source
    def choose_example(self, index: int) -> bool:
        examples = self.controls.examples
        if not 0 <= index < len(examples):
            return False
        return self._start(examples[index])

    def set_source_text(self, text: str) -> bool:
        """Decode what the user typed (an exact validation example keeps its expected output)."""
        if self.beam_model is None:
            self._say("Load a checkpoint or train the design first.", error=True)
            return False
        return self._use_source_text(text)

    def _use_source_text(self, text: str) -> bool:
        index = self.controls.example_for(text)
        if index is not None:
            return self.choose_example(index)
        try:
            source = self.beam_model.encode(text)
        except DesignerError as exc:
            self._clear_search(str(exc), error=True)
            return False
        return self._start(source)

    def _start(self, source: SourceExample, replay: int = 0) -> bool:
        """A new search on ``source`` with the current settings, stepped ``replay`` times."""
        from engine.beam import BeamSearch, greedy_search

        model = self.beam_model
        s = self.controls.settings()
        limits = {"max_len": s.max_len, "min_len": s.min_len, "banned": self.banned_tokens()}
        try:
            search = BeamSearch(model.model, source.x, source.length, beam_width=s.beam_width, alpha=s.alpha,
                                keep_pruned=s.candidates, vocab=model.target_vocab, **limits)
            lengths = None if source.length is None else [source.length]
            self.greedy = greedy_search(model.model, source.x.unsqueeze(0), lengths, **limits)[0]
            search.run(max_steps=replay)
        except (ValueError, RuntimeError, IndexError, DesignerError) as exc:
            self._clear_search(f"The model cannot decode this source: {exc}", error=True)
            return False
        if replay == 0 or self.search is None or self.search.steps != replay:
            self._marks = []  # a new search; a replay to the same step keeps what Back returns to
        self.source, self.search = source, search
        self.controls.show_source(source.text, source.target)
        self.scene.clear_tree()
        self._refresh()
        if replay:
            self.view.fit_all()
        else:
            self.view.reset_zoom()
            self.view.follow_beam()
        if source.unknown:
            missing = ", ".join(f"“{u}”" for u in source.unknown)
            self._say(f"Not in the source vocabulary, read as <unk>: {missing}", error=True)
        return True

    def banned_tokens(self) -> tuple[int, ...]:
        """What the search never generates: <pad> and <bos>, and <unk> unless the user allows it."""
        from engine.beam import DEFAULT_BANNED

        unk = self.beam_model.unk_id if self.beam_model is not None else None
        allow = self.controls.settings().allow_unk
        return tuple(DEFAULT_BANNED) + (() if allow or unk is None else (unk,))

    def _settings_changed(self) -> None:
        if self.source is None or self.beam_model is None:
            return
        forced = self.search is not None and any(a.get("forced") for _n, a in self.search.tree.nodes(data=True))
        replay = 0 if (self.search is None or forced) else self.search.steps
        self._start(self.source, replay)

    def _clear_search(self, message: str, error: bool = False) -> None:
        self.search, self.source, self.greedy, self._marks = None, None, None, []
        self.scene.clear_tree()
        self._refresh()
        self._say(message, error)

    # ================================================================== stepping
    def step(self) -> list[int]:
        """One more token for every hypothesis in the beam; returns the new tree nodes."""
        if self.search is None or self.search.done:
            return []
        self._marks.append(self.search.steps)
        added = self.search.step()
        self._refresh()
        return added

    def back(self) -> bool:
        """Undo the last Step, Run to End or what-if as a whole: after Run, the tree before it."""
        search = self.search
        if search is None or search.steps == 0:
            return False
        while self._marks and self._marks[-1] >= search.steps:
            self._marks.pop()  # stale: a what-if of the engine's own, or a replay
        target = self._marks.pop() if self._marks else search.steps - 1
        while search.steps > target and search.back():
            pass
        self._refresh()
        return True

    def run_to_end(self) -> None:
        if self.search is None or self.search.done:
            return
        self._marks.append(self.search.steps)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.search.run()
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._refresh()

    def reset(self) -> None:
        if self.search is None:
            return
        self._marks = []
        self.search.reset()
        self._refresh()
        self.view.reset_zoom()
        self.view.follow_beam()

    def force(self, node_id: int) -> bool:
        """What-if: continue decoding only from ``node_id`` (the n-best found so far are set aside)."""
        if self.search is None or node_id not in self.search.tree:
            return False
        before = self.search.steps
        try:
            self.search.force(node_id)
        except ValueError as exc:
            self._say(f"Cannot continue from there: {exc}", error=True)
            return False
        self._marks.append(before)
        self._refresh()
        prefix = self.scene.prefix_text(node_id) or "the start"
        self._say(f"What-if: decoding continues from “{prefix}” only. Back (Shift+F10) undoes it.")
        return True

    # ================================================================== showing
    def _refresh(self) -> None:
        search = self.search
        if search is None:
            self.scene.clear_tree()
        else:
            join = getattr(self.beam_model.target_vocab, "join", "") if self.beam_model else ""
            self.scene.show_search(search, join)
            self.view.follow_beam()
        show = self.beam_model.show if self.beam_model else str
        greedy = greedy_text(self.greedy, search, show)
        self.ranking.show_search(search, greedy, self._node_text, show, self.source.target if self.source else None)
        self.select_node(None)  # the selected node while the tree holds it, else the best in the beam
        self._update()
        self.searchChanged.emit()

    def _node_text(self, node: int) -> str:
        return self.beam_model.show(self.search.path(node)) if self.beam_model else ""

    def _update(self) -> None:
        search = self.search
        has = search is not None
        self.actionStep.setEnabled(has and not search.done)
        self.actionRun.setEnabled(has and not search.done)
        self.actionBack.setEnabled(has and search.steps > 0)
        self.actionReset.setEnabled(has and search.steps > 0)
        for action in self.export_actions.values():
            action.setEnabled(has)
        self.export_button.setEnabled(has)
        if has:
            self._say(status_text(search))

    def _say(self, message: str, error: bool = False) -> None:
        self.status_label.setStyleSheet(ERROR_STYLE if error else "")
        self.status_label.setText(message)

    def _fail(self, title: str, message: str) -> None:
        self._say(message, error=True)
        QMessageBox.critical(self, title, message)

    def _design_replaced(self, _design: Any) -> None:
        self._model_in_document = False  # New or Open: the model is no longer the open document's
        self._update_header()

    def _update_header(self) -> None:
        """Name the model after the open document's file while it is that document's (Save As renames it)."""
        model = self.beam_model
        if model is None:
            self.model_label.set_full_text("")
            return
        doc = self.document
        name = doc.display_name() if self._model_in_document and hasattr(doc, "display_name") else None
        self.model_label.set_full_text(model.describe(name), str(model.checkpoint_path or "trained in this session"))

    def _beam_only_changed(self) -> None:
        self.scene.set_beam_only(self.actionBeamOnly.isChecked(), self.header.keep_steps.value())
        if self.search is not None:
            self._refresh()

    def _update_stale(self) -> None:
        design = getattr(self.document, "design", None)
        model = self.beam_model
        stale = (design is not None and model is not None and model.design_hash is not None
                 and design.structure_hash() != model.design_hash)
        self.stale_label.setVisible(bool(stale))

    def _show_node(self, node_id: int) -> None:
        self.scene.hover_node(node_id)
        self.view.center_on_node(node_id)
        self.select_node(node_id)

    def select_node(self, node_id: int | None) -> bool:
        """Show where ``node_id``'s step attended over the source (None: the best in the beam)."""
        return self.attention_strip.follow(self.search, node_id, self.beam_model, self.source)

    def _node_menu(self, node_id: int, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction("Continue decoding from here (what-if)", lambda: self.force(node_id))
        menu.addAction("Copy hypothesis", lambda: QGuiApplication.clipboard().setText(self.scene.prefix_text(node_id)))
        menu.addAction("Show path from the start", lambda: self.scene.hover_node(node_id))
        menu.exec(pos)

    # ================================================================== export
    def export_to(self, path: str | Path) -> bool:
        """Write the tree to ``path``: .png, .svg (what is drawn), .json or .dot (the engine's tree)."""
        if self.search is None:
            self._say("Nothing to export yet: start a search first.", error=True)
            return False
        self.scene.finish_animation()
        try:
            with self.scene.labels_hidden():  # the picture is at 100 %: the tokens are in the boxes
                written = export_tree(self.scene, self.search, path)
        except DesignerError as exc:
            self._fail("Cannot export the tree", str(exc))
            return False
        self._say(f"Exported {written}")
        return True

    def export_dialog(self, suffix: str) -> bool:
        """Ask where to write the tree as ``suffix`` (.png, .svg, .json, .dot), then write it."""
        chosen = ask_export_path(self, suffix, getattr(self.document, "path", None),
                                 self.source.text if self.source is not None else "")
        return self.export_to(chosen) if chosen is not None else False

    def set_animation_ms(self, ms: int) -> None:
        """How long new nodes take to grow in (0: at once, as in tests)."""
        self.scene.animation_ms = max(0, int(ms))
