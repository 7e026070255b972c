"""The explorer's inputs: the source (typed, or picked from the validation set), the beam width,
the maximum and minimum length, length normalisation α, how many rejected candidates the tree
shows, whether ``<unk>`` may be generated, and "Load checkpoint…".

The source box decodes exactly what was typed: the validation examples are offered in a drop-down
list under it (and in the box's own list), never completed into the text inline."""
from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from .model_source import SourceExample

DEFAULT_WIDTH = 5
DEFAULT_CANDIDATES = 3
MAX_WIDTH = 64
MAX_LENGTH = 500


@dataclass(frozen=True)
class ExplorerSettings:
    """What the spin boxes say."""

    beam_width: int
    max_len: int
    alpha: float
    candidates: int  # the engine's keep_pruned: best continuations shown per expanded hypothesis
    min_len: int = 0  # <eos> is not generated before this many tokens
    allow_unk: bool = False  # whether <unk> may be generated (banned by default: it is never a right answer)


class SearchControls(QWidget):
    source_entered = Signal(str)  # typed text, Enter pressed
    example_chosen = Signal(int)  # index into the examples
    settings_changed = Signal()
    load_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("beamControls")
        self.examples: list[SourceExample] = []
        self.source = QComboBox(self)
        self.source.setObjectName("beamSource")
        self.source.setEditable(True)
        self.source.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.source.setMaxVisibleItems(20)
        self.source.setMinimumContentsLength(18)
        self.source.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.source.setToolTip("Type a source and press Enter, or pick an example from the validation set")
        # the examples are suggested in a list under the box, never written into what is being typed
        self.completer = QCompleter(self.source.model(), self.source)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setMaxVisibleItems(12)
        self.source.setCompleter(self.completer)
        self.source.lineEdit().returnPressed.connect(self._return_pressed)
        self.source.activated.connect(self._activated)
        self.expected = QLabel(self)
        self.expected.setObjectName("beamExpected")
        self.expected.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.width_spin = self._spin("beamWidth", 1, MAX_WIDTH, DEFAULT_WIDTH,
                                "Beam width: how many hypotheses the search keeps at each step (1 = greedy)")
        self.min_len_spin = self._spin("beamMinLen", 0, MAX_LENGTH - 1, 0,
                                       "Minimum length: <eos> is not generated before this many tokens "
                                       "(1 for tasks whose outputs are never empty)")
        self.max_len_spin = self._spin("beamMaxLen", 1, MAX_LENGTH, 12,
                                  "Maximum length: hypotheses still going after this many tokens stop there")
        self.alpha_spin = QDoubleSpinBox(self)
        self.alpha_spin.setObjectName("beamAlpha")
        self.alpha_spin.setRange(0.0, 3.0)
        self.alpha_spin.setSingleStep(0.1)
        self.alpha_spin.setDecimals(2)
        self.alpha_spin.setKeyboardTracking(False)
        self.alpha_spin.setToolTip("Length normalisation α: finished hypotheses are ranked by log p / length^α "
                              "(0 = plain sum, which favours short outputs; 0.6–1 is usual)")
        self.alpha_spin.valueChanged.connect(lambda _v: self.settings_changed.emit())
        self.candidates_spin = self._spin("beamCandidates", 0, MAX_WIDTH, DEFAULT_CANDIDATES,
                                     "Candidates shown: each expanded hypothesis's best next tokens the tree keeps, "
                                     "chosen or not (the chosen ones are always shown)")
        self.allow_unk = QCheckBox("<unk>", self)
        self.allow_unk.setObjectName("beamAllowUnk")
        self.allow_unk.setToolTip("Allow <unk> (the unknown token) as a generated token; off by default, since "
                                  "<unk> is never a right answer")
        self.allow_unk.toggled.connect(lambda _on: self.settings_changed.emit())
        self.load = QPushButton("Load checkpoint…", self)
        self.load.setObjectName("beamLoadCheckpoint")
        self.load.setToolTip("Search with a checkpoint trained for the design open in the window")
        self.load.clicked.connect(self.load_requested.emit)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(QLabel("Source", self))
        row.addWidget(self.source, 3)
        row.addWidget(self.expected)
        for label, widget in (("Width", self.width_spin), ("Length", self.min_len_spin), ("–", self.max_len_spin),
                              ("α", self.alpha_spin), ("Candidates", self.candidates_spin)):
            caption = QLabel(label, self)
            caption.setBuddy(widget)
            caption.setToolTip(widget.toolTip())
            row.addSpacing(2 if label == "–" else 4)
            row.addWidget(caption)
            row.addWidget(widget)
        row.addSpacing(4)
        row.addWidget(self.allow_unk)
        row.addSpacing(6)
        row.addWidget(self.load)

    def _spin(self, name: str, lo: int, hi: int, value: int, tip: str) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setObjectName(name)
        spin.setRange(lo, hi)
        spin.setValue(value)
        spin.setKeyboardTracking(False)  # one change per Enter or arrow click, not per keystroke
        spin.setToolTip(tip)
        spin.valueChanged.connect(lambda _v: self.settings_changed.emit())
        return spin

    def _activated(self, index: int) -> None:
        """An example picked from the box's list or from the suggestions under it."""
        if 0 <= index < len(self.examples) and self.source.itemText(index) == self.source.currentText():
            self.example_chosen.emit(index)

    def _return_pressed(self) -> None:
        popup = self.completer.popup()
        if popup.isVisible() and popup.currentIndex().isValid():
            return  # this Enter picks the highlighted suggestion: the pick decodes it
        self.source_entered.emit(self.source.currentText())

    # ------------------------------------------------------------------ values
    def settings(self) -> ExplorerSettings:
        max_len = self.max_len_spin.value()
        return ExplorerSettings(self.width_spin.value(), max_len, round(self.alpha_spin.value(), 4),
                                self.candidates_spin.value(), min(self.min_len_spin.value(), max_len - 1),
                                self.allow_unk.isChecked())

    def set_settings(self, *, beam_width: int | None = None, max_len: int | None = None, alpha: float | None = None,
                     candidates: int | None = None, min_len: int | None = None, allow_unk: bool | None = None,
                     quiet: bool = False) -> None:
        """Set any of the values; with ``quiet``, without announcing a change."""
        for widget, value in ((self.width_spin, beam_width), (self.max_len_spin, max_len), (self.alpha_spin, alpha),
                              (self.candidates_spin, candidates), (self.min_len_spin, min_len)):
            if value is not None:
                widget.blockSignals(quiet)
                widget.setValue(value)
                widget.blockSignals(False)
        if allow_unk is not None:
            self.allow_unk.blockSignals(quiet)
            self.allow_unk.setChecked(allow_unk)
            self.allow_unk.blockSignals(False)

    def set_examples(self, examples: list[SourceExample], placeholder: str) -> None:
        self.examples = list(examples)
        text = self.source.currentText()
        self.source.blockSignals(True)
        self.source.clear()
        for ex in self.examples:
            self.source.addItem(ex.text)
            if ex.target is not None:
                self.source.setItemData(self.source.count() - 1, f"expected: {ex.target}", Qt.ItemDataRole.ToolTipRole)
        self.source.setEditText(text)
        self.source.lineEdit().setPlaceholderText(placeholder)
        self.source.blockSignals(False)

    def show_source(self, text: str, target: str | None) -> None:
        self.source.blockSignals(True)
        self.source.setEditText(text)
        self.source.blockSignals(False)
        self.expected.setText(f"expected: <b>{html.escape(target)}</b>" if target is not None else "")
        self.expected.setVisible(target is not None)

    def example_for(self, text: str) -> int | None:
        """The index of the validation example that reads ``text``, if any."""
        for i, ex in enumerate(self.examples):
            if ex.text == text:
                return i
        return None
