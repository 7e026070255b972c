"""Loss over training (train and validation, optionally on a log scale) and the task's metrics beside it.

The training loss is drawn twice: every step faintly, and a running mean over a window that
grows with the run so the trend reads through the noise. Validation points are joined by a line.
The right plot shows the task's other validation metrics (accuracy, exact match, mse); a task
scored by its loss alone shows the parameters' gradient norm there instead. Curves are created
once and fed whole arrays; pyqtgraph downsamples and clips them to the view.

Runs ticked in the run history are overlaid (:meth:`LossPlot.set_overlays`): each run's smoothed
loss on the left and its main validation metric on the right, one colour per run, with a legend
naming the runs.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from . import theme

MAX_METRIC_CURVES = len(theme.METRIC_COLORS)
OVERLAY_COLORS = ("#e45756", "#54a24b", "#b279a2", "#17becf", "#e377c2", "#9d755d", "#bcbd22", "#ff9da6")  # not the live run's blue or orange
METRIC_WORDS = {"mse": "mean squared error", "accuracy": "accuracy", "token_accuracy": "token accuracy",
                "sequence_accuracy": "sequence accuracy", "exact_match": "exact match",
                "long_range_accuracy": "long-range accuracy", "grad_norm": "gradient norm ‖∇θL‖"}


def running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at every point (fewer at the start)."""
    if len(values) == 0 or window <= 1:
        return values.astype(np.float64, copy=True)
    finite = np.where(np.isfinite(values), values, 0.0)
    c = np.concatenate([[0.0], np.cumsum(finite)])
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(0, idx - window)
    return (c[idx] - c[lo]) / (idx - lo)


def smoothing_window(n: int) -> int:
    return int(np.clip(n // 40, 1, 200))


class LossPlot(pg.GraphicsLayoutWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("lossPlot")
        self.setBackground(theme.PLOT_BG)
        self.ci.setContentsMargins(4, 4, 4, 4)
        self.loss = self.addPlot(row=0, col=0)
        theme.style_plot(self.loss, theme.keyed_title("loss", [("train", theme.TRAIN), ("validation", theme.VALIDATION)]),
                         "step", "")
        self.loss.showGrid(x=True, y=True, alpha=theme.GRID_ALPHA)
        self.train_curve = pg.PlotDataItem(pen=pg.mkPen(theme.TRAIN_RAW, width=1))
        self.smooth_curve = pg.PlotDataItem(pen=pg.mkPen(theme.TRAIN, width=2))
        self.val_curve = pg.PlotDataItem(pen=pg.mkPen(theme.VALIDATION, width=2), symbol="o", symbolSize=6,
                                         symbolBrush=theme.VALIDATION, symbolPen=None)
        for curve in (self.train_curve, self.smooth_curve):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self.loss.addItem(self.train_curve)
        self.loss.addItem(self.smooth_curve)
        self.loss.addItem(self.val_curve)
        self.metric_plot = self.addPlot(row=0, col=1)
        theme.style_plot(self.metric_plot, "validation metric", "step", "")
        self.metric_plot.showGrid(x=True, y=True, alpha=theme.GRID_ALPHA)
        self.metric_curves = [pg.PlotDataItem(pen=pg.mkPen(c, width=2), symbol="o", symbolSize=6, symbolBrush=c,
                                              symbolPen=None) for c in theme.METRIC_COLORS]
        for curve in self.metric_curves:
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self.metric_names: list[str] = []
        self.log_scale = False
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextColor=theme.TEXT, labelTextSize="8pt")
        self.legend.setParentItem(self.loss.getViewBox())
        self.legend.hide()
        self.overlay_curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []  # (loss, metric) per run
        self.ci.layout.setColumnStretchFactor(0, 3)
        self.ci.layout.setColumnStretchFactor(1, 2)

    def set_log_scale(self, on: bool) -> None:
        self.log_scale = bool(on)
        self.loss.setLogMode(x=False, y=self.log_scale)
        self.loss.enableAutoRange()

    def set_metrics(self, names: list[str]) -> None:
        """Which validation metrics the right plot shows (``["grad_norm"]``: the training gradient norm)."""
        names = names[:MAX_METRIC_CURVES]
        if names == self.metric_names:
            return
        for curve in self.metric_curves:
            if curve in self.metric_plot.listDataItems():
                self.metric_plot.removeItem(curve)
        self.metric_names = names
        for _name, curve in zip(names, self.metric_curves):
            curve.setData([], [])
            self.metric_plot.addItem(curve)
        if names == ["grad_norm"]:
            title = theme.keyed_title("training", [("gradient norm ‖∇θL‖", theme.METRIC_COLORS[0])])
        else:
            title = theme.keyed_title("validation", [(METRIC_WORDS.get(n, n), c) for n, c in zip(names, theme.METRIC_COLORS)])
        self.metric_plot.setTitle(title, color=theme.TEXT, size="9pt")
        self.metric_plot.setLogMode(x=False, y=names == ["grad_norm"])

    def set_history(self, steps: np.ndarray, losses: np.ndarray, val_steps: np.ndarray, val_losses: np.ndarray,
                    metrics: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Every step's loss, the validations so far, and ``metrics[name] = (steps, values)``."""
        x = steps.astype(np.float64)
        self.train_curve.setData(x, losses)
        self.smooth_curve.setData(x, running_mean(losses, smoothing_window(len(losses))))
        self.val_curve.setData(val_steps, val_losses)
        for name, curve in zip(self.metric_names, self.metric_curves):
            series = metrics.get(name)
            if series is not None:
                curve.setData(*series)

    def set_overlays(self, runs: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]) -> None:
        """Overlay other runs: ``(label, steps, losses, metric_steps, metric_values)`` each; [] clears."""
        while len(self.overlay_curves) < len(runs):
            color = OVERLAY_COLORS[len(self.overlay_curves) % len(OVERLAY_COLORS)]
            loss = pg.PlotDataItem(pen=pg.mkPen(color, width=2))
            metric = pg.PlotDataItem(pen=pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine), symbol="t",
                                     symbolSize=6, symbolBrush=color, symbolPen=None)
            for curve in (loss, metric):
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
            self.overlay_curves.append((loss, metric))
        self.legend.clear()
        for i, (loss, metric) in enumerate(self.overlay_curves):
            shown = i < len(runs)
            for curve, plot in ((loss, self.loss), (metric, self.metric_plot)):
                present = curve in plot.listDataItems()
                if shown and not present:
                    plot.addItem(curve)
                elif not shown and present:
                    plot.removeItem(curve)
            if not shown:
                continue
            label, steps, losses, metric_steps, metric_values = runs[i]
            loss.setData(steps.astype(np.float64), running_mean(losses, smoothing_window(len(losses))))
            metric.setData(metric_steps, metric_values)
            self.legend.addItem(loss, label)
        self.legend.setVisible(bool(runs))

    @property
    def overlays(self) -> list[pg.PlotDataItem]:
        """The overlaid runs' loss curves now in the plot."""
        return [loss for loss, _ in self.overlay_curves if loss in self.loss.listDataItems()]

    def reset(self) -> None:
        for curve in [self.train_curve, self.smooth_curve, self.val_curve] + self.metric_curves:
            curve.setData([], [])
