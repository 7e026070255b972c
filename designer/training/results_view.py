"""The end of a run: its final validation metrics and a few validation examples with the model's
predictions (right ones ticked, wrong ones crossed)."""
from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from .loss_plot import METRIC_WORDS
from .session import SamplePrediction

RIGHT = QColor("#2e7d32")
WRONG = QColor("#c62828")


def format_metric(name: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if "accuracy" in name or name == "exact_match":
        return f"{100 * value:.1f}%"
    return f"{value:.4g}"


class ResultsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsView")
        self.metrics = QLabel(objectName="finalMetrics")
        self.metrics.setWordWrap(True)
        self.metrics.setTextFormat(Qt.TextFormat.RichText)
        self.samples = QTableWidget(0, 4, objectName="samplesTable")
        self.samples.setHorizontalHeaderLabels(["Input", "Target", "Prediction", ""])
        self.samples.verticalHeader().setVisible(False)
        self.samples.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.samples.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.samples.setWordWrap(False)
        header = self.samples.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(3, 22)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.metrics)
        layout.addWidget(self.samples, 1)
        self.reset()

    def reset(self) -> None:
        self.metrics.setText("<i>Final metrics and sample predictions appear when a run ends.</i>")
        self.samples.setRowCount(0)
        self.samples.setVisible(False)

    def show_results(self, status: str, step: int, metrics: dict[str, float], main_metric: str,
                     best: float | None, best_step: int | None, samples: list[SamplePrediction]) -> None:
        rows = []
        for name, value in metrics.items():
            words = "loss" if name == "loss" else METRIC_WORDS.get(name, name)
            strong = name == main_metric
            cell = f"<b>{format_metric(name, value)}</b>" if strong else format_metric(name, value)
            rows.append(f"<tr><td>{words}</td><td align='right'>&nbsp;&nbsp;{cell}</td></tr>")
        if best is not None and best_step is not None and best_step != step:
            rows.append(f"<tr><td>best {METRIC_WORDS.get(main_metric, main_metric)}</td>"
                        f"<td align='right'>&nbsp;&nbsp;{format_metric(main_metric, best)} (step {best_step})</td></tr>")
        head = f"<b>{status.replace('_', ' ').capitalize()}</b> at step {step}: validation"
        self.metrics.setText(f"{head}<table>{''.join(rows)}</table>")
        self.samples.setRowCount(len(samples))
        for r, s in enumerate(samples):
            mark = "" if s.correct is None else ("✓" if s.correct else "✗")
            for c, text in enumerate((s.input, s.target, s.prediction, mark)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if c == 3 and s.correct is not None:
                    item.setForeground(RIGHT if s.correct else WRONG)
                self.samples.setItem(r, c, item)
        self.samples.setVisible(bool(samples))
        self.samples.resizeRowsToContents()
        height = self.samples.horizontalHeader().height() + sum(self.samples.rowHeight(r) for r in range(len(samples)))
        self.samples.setFixedHeight(height + 4)
