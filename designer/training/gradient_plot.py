"""Gradient flow: ‖∂L/∂h_t‖ per time step — for the newest probe, and over training.

The left plot is the newest probe's norm at every step t (log scale, mean over the probe
sequences) with the selected sequence's own curve beside it: a curve falling steeply towards
early steps is a vanishing gradient, one rising is an exploding one. The right heatmap stacks
the mean curve of every probe so far (time × training step) in log₁₀ colours, so a change in
how far the gradient reaches back shows as a change along the training axis.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from . import theme
from .heatmap import HeatmapView, log_safe, shown_token, tick_stride

ROW_TICKS = 5  # training-step labels on the heatmap's vertical axis


class GradientPlot(HeatmapView):
    def __init__(self) -> None:
        super().__init__("gradientPlot")
        self._labels: list[str] = []
        self.latest = self.addPlot(row=0, col=0)
        theme.style_plot(self.latest, theme.keyed_title("‖∂L/∂hₜ‖ now", [
            ("batch", theme.GRADIENT), ("this sequence", theme.AXIS)]), "", "norm")
        self.latest.setLogMode(x=False, y=True)
        self.latest.getAxis("left").enableAutoSIPrefix(False)
        self.latest.getViewBox().sigResized.connect(self._update_ticks)
        self.latest.showGrid(x=True, y=True, alpha=theme.GRID_ALPHA)
        self.latest.setMenuEnabled(False)
        self.mean_curve = pg.PlotDataItem(pen=pg.mkPen(theme.GRADIENT, width=2), symbol="o", symbolSize=4,
                                          symbolBrush=theme.GRADIENT, symbolPen=None, connect="finite")
        self.sequence_curve = pg.PlotDataItem(pen=pg.mkPen(theme.AXIS, width=1, style=Qt.PenStyle.DashLine),
                                              connect="finite")
        self.latest.addItem(self.mean_curve)
        self.latest.addItem(self.sequence_curve)
        self.history = self.add_heatmap(0, 1, "‖∂L/∂hₜ‖ over training", "log₁₀ ‖∂L/∂hₜ‖", (-6.0, 0.0),
                                        theme.GRADIENT_MAP, left="step")
        self.history.describe_unit = self.describe_probe_row
        self.bar = self.color_bar((-6.0, 0.0), theme.GRADIENT_MAP, "log₁₀ norm")
        self.ci.addItem(self.bar, row=0, col=2)
        self.ci.layout.setColumnStretchFactor(0, 1)
        self.ci.layout.setColumnStretchFactor(1, 1)
        self.steps: np.ndarray = np.empty(0)

    def show_latest(self, grad_norm: np.ndarray, sequence: int, labels: list[str]) -> None:
        """``grad_norm`` (N, T) of the newest probe: the batch mean and sequence ``sequence``."""
        with np.errstate(all="ignore"):
            mean = np.nanmean(np.where(grad_norm > 0, grad_norm, np.nan), axis=0)
        t = np.arange(grad_norm.shape[1]) + 0.5
        self.mean_curve.setData(t, log_safe(mean))
        self.sequence_curve.setData(t, log_safe(grad_norm[sequence]))
        if labels != self._labels:
            self._labels = list(labels)
            self._update_ticks()
        self.latest.setXRange(0, grad_norm.shape[1], padding=0)

    def _update_ticks(self) -> None:
        labels = [shown_token(lab) for lab in self._labels]
        width = self.latest.getViewBox().width()
        stride = tick_stride(len(labels), width, max((len(lab) for lab in labels), default=1))
        self.latest.getAxis("bottom").setTicks([[(i + 0.5, labels[i]) for i in range(0, len(labels), stride)], []])

    def show_history(self, steps: np.ndarray, image: np.ndarray, labels: list[str],
                     describe_step: Callable[[int], str] | None) -> None:
        """``image`` (probes, T) of mean norms over training, ``steps`` the probes' training steps."""
        self.steps = steps
        with np.errstate(all="ignore"):
            logs = np.log10(np.where(image > 0, image, np.nan))  # (P, T)
        finite = logs[np.isfinite(logs)]
        if finite.size:
            low, high = float(np.floor(finite.min())), float(np.ceil(finite.max()))
            if high - low < 1:
                high = low + 1
            if (low, high) != self.history.levels:
                self.history.levels = (low, high)
                self.history.image.setLevels((low, high))
                self.bar.setLevels((low, high))
        self.history.set_values(logs.T, labels[:logs.shape[1]], describe_step)  # (T, P): x time, y probe
        rows = len(steps)
        every = max(1, rows // ROW_TICKS)
        self.history.plot.getAxis("left").setTicks([[(i + 0.5, f"{int(steps[i])}") for i in range(0, rows, every)], []])

    def describe_probe_row(self, row: int) -> str:
        return f"probe at training step {int(self.steps[row])}" if 0 <= row < len(self.steps) else f"probe {row}"

    def reset(self) -> None:
        self.mean_curve.setData([], [])
        self.sequence_curve.setData([], [])
        self.history.clear()
        self.steps = np.empty(0)
        self._labels = []

