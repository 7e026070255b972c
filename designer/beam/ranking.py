"""Ranked hypotheses beside the tree: the current beam, and the n-best list of finished ones.

Both are lists of the engine's own numbers (cumulative log-probability, and the length-normalised
score the n-best list is sorted by); choosing a row lights that hypothesis's path in the tree.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from . import style

NODE_ROLE = Qt.ItemDataRole.UserRole
MATCH = "✓"
CUT = "…"  # finished by reaching the maximum length, not by <eos>


class RankedHypotheses(QTreeWidget):
    """A compact table of hypotheses, best first; ``node_activated`` gives the tree node of a row."""

    node_activated = Signal(int)

    def __init__(self, columns: list[str], object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setHeaderLabels(columns)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.header()
        header.setStretchLastSection(False)
        for i in range(len(columns)):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.currentItemChanged.connect(self._current_changed)
        self.itemClicked.connect(lambda item, _col: self._emit(item))

    def _current_changed(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if item is not None:
            self._emit(item)

    def _emit(self, item: QTreeWidgetItem) -> None:
        node = item.data(0, NODE_ROLE)
        if node is not None:
            self.node_activated.emit(int(node))

    def rows(self) -> list[list[str]]:
        """The table as text, row by row (what a user reads)."""
        items = [self.topLevelItem(r) for r in range(self.topLevelItemCount())]
        return [[item.text(c) for c in range(self.columnCount())] for item in items]

    def nodes(self) -> list[int | None]:
        return [self.topLevelItem(r).data(0, NODE_ROLE) for r in range(self.topLevelItemCount())]

    def _fill(self, rows: list[tuple[list[str], int | None, str, QColor | None]]) -> None:
        self.blockSignals(True)
        self.clear()
        for texts, node, tip, colour in rows:
            item = QTreeWidgetItem(texts)
            item.setData(0, NODE_ROLE, node)
            for c in range(len(texts)):
                item.setToolTip(c, tip)
                if c >= 2:
                    item.setTextAlignment(c, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if colour is not None:
                item.setForeground(0, QBrush(colour))
            self.addTopLevelItem(item)
        self.blockSignals(False)


class BeamList(RankedHypotheses):
    """The hypotheses in the beam right now, best first, with their cumulative log-probability."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(["#", "Hypothesis in the beam", "log p"], "beamCurrent", parent)

    def show_search(self, search: Any, text: Any) -> None:
        """``text(node)`` reads a node's hypothesis."""
        rows = []
        for rank, node in enumerate(search.beam, 1):
            attrs = search.tree.nodes[node]
            shown = text(node) or "(nothing yet)"
            tip = f"{shown}\ncumulative log p = {attrs['score']:.4f}"
            rows.append(([str(rank), shown, f"{attrs['score']:.3f}"], node, tip, style.BADGE_FILL))
        self._fill(rows)


class NBestList(RankedHypotheses):
    """The finished hypotheses, best score first, as the engine ranks them (``search.results``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(["#", "Output", "score", "log p", "len"], "beamNBest", parent)

    def show_search(self, search: Any, show: Any, target: str | None = None) -> None:
        """``show(tokens)`` reads a hypothesis; ``target``: the expected output, marked ✓ when found."""
        rows = []
        for rank, h in enumerate(search.results, 1):
            text = show(h.tokens)
            mark = f" {MATCH}" if target is not None and text == target else ""
            cut = f" {CUT}" if h.finished_by == "max_len" else ""
            how = "ended by <eos>" if h.finished_by == "eos" else "cut at the maximum length"
            tip = (f"{text}\nscore = {h.score:.4f} (log p / length^α)\nlog p = {h.logprob:.4f}\n"
                   f"{len(h.tokens)} tokens, {how}")
            if mark:
                tip += "\nmatches the expected output"
            rows.append(([str(rank), f"{text}{cut}{mark}", f"{h.score:.3f}", f"{h.logprob:.3f}", str(len(h.tokens))],
                         h.node, tip, style.RESULT_BADGE_FILL))
        self._fill(rows)


class RankingColumn(QWidget):
    """What sits beside the tree: the greedy output, the current beam, the n-best list."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.greedy_label = QLabel(self)
        self.greedy_label.setObjectName("beamGreedy")
        self.greedy_label.setWordWrap(True)
        self.greedy_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.beam_title = QLabel("<b>Beam</b>", self)
        self.beam_list = BeamList(self)
        self.nbest_title = QLabel("<b>N-best</b>", self)
        self.nbest_list = NBestList(self)
        col = QVBoxLayout(self)
        col.setContentsMargins(4, 0, 0, 0)
        for w in (self.greedy_label, self.beam_title, self.beam_list, self.nbest_title, self.nbest_list):
            col.addWidget(w)

    def show_search(self, search: Any, greedy_html: str, node_text: Any, show: Any, target: str | None) -> None:
        """``node_text(node)`` reads a tree node's hypothesis, ``show(tokens)`` a finished one's."""
        self.greedy_label.setText(greedy_html)
        if search is None:
            self.beam_list.clear()
            self.nbest_list.clear()
            self.beam_title.setText("<b>Beam</b>")
            self.nbest_title.setText("<b>N-best</b>")
            return
        self.beam_list.show_search(search, node_text)
        self.nbest_list.show_search(search, show, target)
        beam = f"{len(search.beam)} of {search.settings.beam_width}" if not search.done else "empty: the search is done"
        self.beam_title.setText(f"<b>Beam</b> — {beam}")
        self.nbest_title.setText(f"<b>N-best</b> — {len(search.results)} finished, best score first")
