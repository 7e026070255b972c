"""The problems list: the engine's checks, one row per problem naming the node; clicking a row
selects the node on the canvas. A problem the checks know how to mend (a vocabulary the task
needs, a head that must match its decoder) has a button in its row — "set vocab_size to 62" —
and double-clicking the row does the same: the fix is one undoable step."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QPushButton, QStyle, QTreeWidget, QTreeWidgetItem, QWidget

from engine.model.graph import CheckReport, Fix, Problem
from engine.model.task_fit import NO_TASK

from .commands import ApplyFix
from .document import DesignDocument

NODE_ROLE = Qt.ItemDataRole.UserRole + 1
ERROR_TEXT = QColor("#c62828")
WARNING_TEXT = QColor("#a15c00")
FIX_COLUMN = 3


def plural(n: int, word: str) -> str:
    """``plural(1, "error")`` → "1 error", ``plural(2, "error")`` → "2 errors"."""
    return f"{n:,} {word}{'s' * (n != 1)}"


def count_text(errors: int, warnings: int) -> str:
    """How every place in the window counts a report's problems: "1 error, 2 warnings", "1 warning",
    "" when there are none — errors and warnings always said apart, never one sum."""
    parts = [plural(errors, "error")] if errors else []
    if warnings:
        parts.append(plural(warnings, "warning"))
    return ", ".join(parts)


def refusal_text(report: CheckReport) -> str:
    """Why a design with errors cannot train, naming the first: "The design has 1 error: node "encoder"
    port "in" is not connected; … (+ 1 more)"."""
    errors = report.errors
    more = f" (+ {len(errors) - 1} more)" if len(errors) > 1 else ""
    first = errors[0].message.rstrip(".") if errors else ""
    return f"The design has {plural(len(errors), 'error')}: {first}{more}."


class ProblemsWidget(QTreeWidget):
    node_activated = Signal(str)  # the node a clicked row names
    count_changed = Signal(int, int)  # errors, warnings
    fixed = Signal(str)  # a fix was applied: its label, for the status bar
    task_requested = Signal()  # "Pick a task…" on the row saying the design has none

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setObjectName("problems")
        self.setAccessibleName("Problems")
        self.setColumnCount(4)
        self.setHeaderLabels(["", "Block", "Problem", "Fix"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(2, self.header().ResizeMode.Stretch)
        self.setColumnWidth(0, 28)
        self.setColumnWidth(1, 130)
        self.setColumnWidth(FIX_COLUMN, 260)
        self._problems: list[Problem] = []
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._activated)
        document.checked.connect(self.show_report)
        self.show_report(document.report)

    def show_report(self, report: CheckReport) -> None:
        self.clear()
        style = self.style()
        err_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
        warn_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._problems = report.errors + report.warnings
        for row, p in enumerate(self._problems):
            item = QTreeWidgetItem(self, ["", p.node_id or "design", p.message, ""])
            item.setIcon(0, err_icon if p.severity == "error" else warn_icon)
            item.setToolTip(2, p.message)
            item.setToolTip(0, p.severity)
            item.setData(0, NODE_ROLE, p.node_id)
            item.setForeground(1, QBrush(ERROR_TEXT if p.severity == "error" else WARNING_TEXT))
            if p.fix is not None:
                button = QPushButton(p.fix.label[:1].upper() + p.fix.label[1:])
                button.setObjectName(f"fixButton{row}")
                button.setToolTip(f"{p.fix.label} (one step; Undo takes it back). Double-clicking the row does the same.")
                button.clicked.connect(lambda _checked=False, fix=p.fix: self.apply_fix(fix))
                self.setItemWidget(item, FIX_COLUMN, button)
            elif p.message == NO_TASK:
                button = QPushButton("Pick a task…")
                button.setObjectName("pickTaskButton")
                button.setToolTip("Open the Task list of the Training panel")
                button.clicked.connect(lambda _checked=False: self.task_requested.emit())
                self.setItemWidget(item, FIX_COLUMN, button)
        if not self._problems:
            item = QTreeWidgetItem(self, ["", "", "No problems: the design checks clean.", ""])
            item.setIcon(0, style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.count_changed.emit(len(report.errors), len(report.warnings))

    def rows(self) -> list[tuple[str | None, str]]:
        """(node id, message) of each problem row, for tests and accessibility tools."""
        out = []
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if item.flags() & Qt.ItemFlag.ItemIsSelectable:
                out.append((item.data(0, NODE_ROLE), item.text(2)))
        return out

    def fix_for_row(self, row: int) -> Fix | None:
        return self._problems[row].fix if 0 <= row < len(self._problems) else None

    def fix_button(self, row: int) -> QPushButton | None:
        """The Fix button of ``row`` (None when its problem has no fix)."""
        item = self.topLevelItem(row)
        widget = self.itemWidget(item, FIX_COLUMN) if item is not None else None
        return widget if isinstance(widget, QPushButton) else None

    def apply_fix(self, fix: Fix) -> None:
        """Apply ``fix`` as one undoable command (the checks then run again)."""
        self.document.push(ApplyFix(self.document, fix))
        self.fixed.emit(fix.label)

    def _clicked(self, item: QTreeWidgetItem, column: int = 0) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(node_id)

    def _activated(self, item: QTreeWidgetItem, column: int = 0) -> None:
        """Double-click or Enter: apply the row's fix when it has one, else show its block."""
        fix = self.fix_for_row(self.indexOfTopLevelItem(item))
        row = self.indexOfTopLevelItem(item)
        if fix is not None:
            self.apply_fix(fix)
        elif 0 <= row < len(self._problems) and self._problems[row].message == NO_TASK:
            self.task_requested.emit()
        else:
            self._clicked(item, column)
