"""The problems list: the engine's checks, one row per problem naming the node; clicking a row
selects the node on the canvas."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QStyle, QTreeWidget, QTreeWidgetItem, QWidget

from engine.model.graph import CheckReport

from .document import DesignDocument

NODE_ROLE = Qt.ItemDataRole.UserRole + 1
ERROR_TEXT = QColor("#c62828")
WARNING_TEXT = QColor("#a15c00")


class ProblemsWidget(QTreeWidget):
    node_activated = Signal(str)  # the node a clicked row names
    count_changed = Signal(int, int)  # errors, warnings

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problems")
        self.setAccessibleName("Problems")
        self.setColumnCount(3)
        self.setHeaderLabels(["", "Block", "Problem"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.header().setStretchLastSection(True)
        self.setColumnWidth(0, 28)
        self.setColumnWidth(1, 130)
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)
        document.checked.connect(self.show_report)
        self.show_report(document.report)

    def show_report(self, report: CheckReport) -> None:
        self.clear()
        style = self.style()
        err_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
        warn_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        ordered = report.errors + report.warnings
        for p in ordered:
            item = QTreeWidgetItem(self, ["", p.node_id or "design", p.message])
            item.setIcon(0, err_icon if p.severity == "error" else warn_icon)
            item.setToolTip(2, p.message)
            item.setToolTip(0, p.severity)
            item.setData(0, NODE_ROLE, p.node_id)
            item.setForeground(1, QBrush(ERROR_TEXT if p.severity == "error" else WARNING_TEXT))
        if not ordered:
            item = QTreeWidgetItem(self, ["", "", "No problems: the design checks clean."])
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

    def _clicked(self, item: QTreeWidgetItem, column: int = 0) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(node_id)
