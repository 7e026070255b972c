"""Loss over training (train and validation, optionally on a log scale) and the task's metrics beside it.

The training loss is drawn twice: every step faintly, and a running mean over a window that
grows with the run so the trend reads through the noise. Validation points are joined by a line.
The right plot shows the task's other validation metrics (accuracy, exact match, mse); a task
scored by its loss alone shows the parameters' gradient norm there instead. Under the loss, on
the same steps, ‖∂L/∂h_t‖ at one time step t (a step the task marks, else the first) at every
probe: how much of the gradient reaches that far back — an LSTM's loss falls when it arrives,
an Elman network's stays flat while it vanishes. Curves are created
once and fed whole arrays; pyqtgraph downsamples and clips them to the view.

Runs ticked in the run history are overlaid (:meth:`LossPlot.set_overlays`): each run's smoothed
loss, its gradient reach and its main validation metric, one colour per run, with a legend
naming the runs.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from . import theme
from .heatmap import log_safe

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
        self.metric_plot = self.addPlot(row=0, col=1, rowspan=2)
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
        self.reach = self.addPlot(row=1, col=0)  # how far back the gradient reaches, over training, under the loss
        theme.style_plot(self.reach, "", "step", "norm")
        self.reach.setLogMode(x=False, y=True)
        self.reach.getAxis("left").enableAutoSIPrefix(False)
        self.reach.showGrid(x=True, y=True, alpha=theme.GRID_ALPHA)
        self.reach.setXLink(self.loss)  # the same steps under the loss: a loss that falls as the gradient arrives
        self.reach_curve = pg.PlotDataItem(pen=pg.mkPen(theme.GRADIENT, width=2), symbol="o", symbolSize=4,
                                           symbolBrush=theme.GRADIENT, symbolPen=None, connect="finite")
        self.reach.addItem(self.reach_curve)
        self.reach.setYRange(-6, 0, padding=0)  # whole decades (log₁₀) until a run's points arrive
        self.reach_step = 0
        self.set_reach_step(0, False)
        self.overlay_curves: list[tuple[pg.PlotDataItem, ...]] = []  # (loss, metric, reach) per run
        self.ci.layout.setColumnStretchFactor(0, 3)
        self.ci.layout.setColumnStretchFactor(1, 2)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)

    def set_step_range(self, first: int, last: int) -> None:
        """The run's steps, ``first`` to ``last``, fixed along x while it runs (the axes are then
        not redrawn at every update; the metric plot shares them)."""
        for plot in (self.loss, self.metric_plot):
            plot.enableAutoRange(x=False)
            plot.setXRange(first, max(last, first + 1), padding=0.02)

    def set_reach_step(self, t: int, marked: bool) -> None:
        """Which time step the gradient-reach plot follows (``marked``: one the task's markers flag)."""
        self.reach_step = int(t)
        what = "a marked step" if marked else ("the first step" if t == 0 else "")
        title = f"‖∂L/∂hₜ‖ at t = {t}" + (f" ({what})" if what else "") + " over training"
        self.reach.setTitle(theme.keyed_title(title, [("mean over the probe sequences", theme.GRADIENT)]),
                            color=theme.TEXT, size="9pt")

    def set_reach(self, steps: np.ndarray, values: np.ndarray) -> None:
        """The live run's ‖∂L/∂h_t‖ at :attr:`reach_step`, one point per probe."""
        self.reach_curve.setData(steps, log_safe(values))
        self._fit_reach()

    def _fit_reach(self) -> None:
        """Whole decades, at least one, around every reach curve shown (so the log axis has labels)."""
        values = [c.yData for c in [self.reach_curve, *self.reach_overlays] if c.yData is not None and len(c.yData)]
        finite = np.concatenate(values) if values else np.empty(0)
        finite = finite[np.isfinite(finite) & (finite > 0)]
        if finite.size:
            low, high = np.floor(np.log10(finite.min())), np.ceil(np.log10(finite.max()))
            self.reach.setYRange(low, max(high, low + 1), padding=0.02)

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

    def set_overlays(self, runs: list[tuple[np.ndarray, ...]]) -> None:
        """Overlay other runs: ``(label, steps, losses, metric_steps, metric_values, reach_steps,
        reach_values)`` each (the reach pair may be left off); [] clears."""
        while len(self.overlay_curves) < len(runs):
            color = OVERLAY_COLORS[len(self.overlay_curves) % len(OVERLAY_COLORS)]
            loss = pg.PlotDataItem(pen=pg.mkPen(color, width=2))
            metric = pg.PlotDataItem(pen=pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine), symbol="t",
                                     symbolSize=6, symbolBrush=color, symbolPen=None)
            reach = pg.PlotDataItem(pen=pg.mkPen(color, width=2), symbol="t", symbolSize=5, symbolBrush=color,
                                    symbolPen=None, connect="finite")
            for curve in (loss, metric):
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
            self.overlay_curves.append((loss, metric, reach))
        self.legend.clear()
        for i, curves in enumerate(self.overlay_curves):
            shown = i < len(runs)
            for curve, plot in zip(curves, (self.loss, self.metric_plot, self.reach)):
                present = curve in plot.listDataItems()
                if shown and not present:
                    plot.addItem(curve)
                elif not shown and present:
                    plot.removeItem(curve)
            if not shown:
                continue
            label, steps, losses, metric_steps, metric_values, *reach = runs[i]
            loss, metric, reach_curve = curves
            loss.setData(steps.astype(np.float64), running_mean(losses, smoothing_window(len(losses))))
            metric.setData(metric_steps, metric_values)
            reach_curve.setData(*(reach[:1] + [log_safe(reach[1])] if len(reach) == 2 else ([], [])))
            self.legend.addItem(loss, label)
        self.legend.setVisible(bool(runs))
        self._fit_reach()

    @property
    def overlays(self) -> list[pg.PlotDataItem]:
        """The overlaid runs' loss curves now in the plot."""
        return [curves[0] for curves in self.overlay_curves if curves[0] in self.loss.listDataItems()]

    @property
    def reach_overlays(self) -> list[pg.PlotDataItem]:
        """The overlaid runs' gradient-reach curves now in the plot."""
        return [curves[2] for curves in self.overlay_curves if curves[2] in self.reach.listDataItems()]

    def reset(self) -> None:
        for plot in (self.loss, self.metric_plot):
            plot.enableAutoRange(x=True)
        self.reach.setYRange(-6, 0, padding=0)
        for curve in [self.train_curve, self.smooth_curve, self.val_curve, self.reach_curve] + self.metric_curves:
            curve.setData([], [])

