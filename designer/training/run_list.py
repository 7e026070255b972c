"""The design's run history: every run folder listed, two or more ticked to compare their curves.

:class:`RunList` shows the runs of the open design (``runs/<design>-…`` beside it, where the
window and ``rnn-designer train`` put them) with their cell, date, steps, final metric and
status, newest first. Ticking runs emits :attr:`RunList.comparisonChanged` with their folders;
:func:`load_series` reads a run's whole stream into a :class:`~designer.training.history.RunHistory`
for the plots to overlay. Reading is cheap: a summary reads the two ends of a stream only.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from engine.training.run_index import RunSummary, list_runs

from .history import RunHistory
from .live_feed import LiveFeed

COLUMNS = ("Run", "Cell", "Date", "Steps", "Final", "Status")
STATUS_WORDS = {"finished": "finished", "stopped": "stopped", "early_stopped": "stopped early",
                "time_limit": "time limit", "interrupted": "interrupted", "failed": "failed",
                "running": "running", "crashed": "ended abruptly"}


def run_label(name: str, prefix: str, cells: list[str]) -> str:
    """A short name for a run in a legend: ``10:36:25 · lstm`` for ``adding-20261201-103625``."""
    rest = name[len(prefix):] if prefix and name.startswith(prefix) else name
    try:
        rest = dt.datetime.strptime(rest[:15], "%Y%m%d-%H%M%S").strftime("%H:%M:%S") + rest[15:]
    except ValueError:
        pass
    return rest + (f" · {', '.join(cells)}" if cells else "")


def load_series(folder: Path) -> tuple[RunHistory, dict]:
    """A run's whole stream as a history (and its begin event)."""
    feed = LiveFeed(folder)
    history = RunHistory()
    while True:
        batch = feed.poll()
        if batch.update is None:
            return history, feed.begin or {}
        history.add(batch.update)


class RunList(QWidget):
    comparisonChanged = Signal(list)  # [Path] of the ticked runs, in the list's order

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runList")
        self.root: Path | None = None
        self.prefix = ""
        self.runs: list[RunSummary] = []
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        self.tree = QTreeWidget(objectName="runTree")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setMinimumHeight(110)
        self.tree.setToolTip("Tick two or more runs to overlay their loss and metric curves")
        self.tree.itemChanged.connect(self._on_item_changed)
        v.addWidget(self.tree)
        row = QHBoxLayout()
        self.note = QLabel(objectName="runListNote")
        self.note.setStyleSheet("color: #5b6270;")
        self.note.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh", objectName="refreshRunsButton")
        self.refresh_button.setToolTip("Read the design's run folders again")
        self.refresh_button.clicked.connect(self.refresh)
        row.addWidget(self.note, 1)
        row.addWidget(self.refresh_button)
        v.addLayout(row)

    def set_folder(self, root: Path, prefix: str) -> None:
        """List the runs in ``root`` whose folders start with ``prefix`` (the design's)."""
        if (root, prefix) != (self.root, self.prefix):
            self.root, self.prefix = root, prefix
            self.refresh()

    def refresh(self) -> None:
        ticked = set(self.ticked())
        self.runs = list_runs(self.root, self.prefix) if self.root is not None else []
        self.tree.blockSignals(True)
        self.tree.clear()
        for run in self.runs:
            when = dt.datetime.fromtimestamp(run.started).strftime("%Y-%m-%d %H:%M") if run.started else "—"
            final = f"{run.metric} {run.value:.4g}" if run.value is not None and run.metric else "—"
            item = QTreeWidgetItem([run.name, run.cell, when, f"{run.steps:,}", final,
                                    STATUS_WORDS.get(run.status, run.status)])
            item.setData(0, Qt.ItemDataRole.UserRole, str(run.path))
            item.setToolTip(0, str(run.path))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if run.path in ticked else Qt.CheckState.Unchecked)
            self.tree.addTopLevelItem(item)
        for i in range(1, len(COLUMNS)):
            self.tree.resizeColumnToContents(i)
        self.tree.blockSignals(False)
        self.note.setText(f"{len(self.runs)} run{'s' * (len(self.runs) != 1)} in {self.root}" if self.runs
                          else "No runs of this design yet.")
        if set(self.ticked()) != ticked:
            self.comparisonChanged.emit(self.ticked())

    def ticked(self) -> list[Path]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.checkState(0) == Qt.CheckState.Checked:
                out.append(Path(item.data(0, Qt.ItemDataRole.UserRole)))
        return out

    def set_ticked(self, paths: list[Path]) -> None:
        """Tick exactly ``paths`` (what a user's clicks do)."""
        wanted = {Path(p) for p in paths}
        self.tree.blockSignals(True)
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            on = Path(item.data(0, Qt.ItemDataRole.UserRole)) in wanted
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.tree.blockSignals(False)
        self.comparisonChanged.emit(self.ticked())

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            self.comparisonChanged.emit(self.ticked())
