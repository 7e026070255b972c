"""Where an attending decoder looks: the probe sequence's attention matrix and its entropy over training.

The left heatmap is the newest probe's weights ``a_ts`` for the selected probe sequence: source
steps along x (labelled with the tokens read), target steps down y (labelled with the tokens
written), 0..1 on fixed levels — date translation's diagonal appears here as the run learns. The
right plot is the mean attention entropy of every probe so far (nats): high while the decoder
spreads its weights evenly, falling as it learns to look at one source step at a time. Both are
created once; the widget hides itself for a design without attention.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg

from engine.training.events import ATTENTION_ENTROPY

from . import theme
from .heatmap import HeatmapView, shown_token
from .probe_inputs import ProbeInputs

ATTENTION_MAP = "viridis"
ATTENTION_LEVELS = (0.0, 1.0)
ROW_LABEL_PX = 14  # the height a target-token label needs on the vertical axis


def attention_of(trace: dict[str, Any] | None) -> tuple[str, int, np.ndarray] | None:
    """(decoder id, layer, weights (N, T', T)) of the attending decoder in ``trace``, or None."""
    for block, layers in (trace or {}).items():
        for layer, directions in layers.items():
            weights = directions.get("forward", {}).get("attention")
            if weights is not None:
                return block, int(layer), np.asarray(weights)
    return None


def sequence_matrix(weights: np.ndarray, sequence: int, source_length: int | None) -> np.ndarray:
    """Sequence ``sequence``'s (T', T) weights, cut to its own target steps (NaN rows past its end
    dropped) and source steps (``source_length``, else the steps that got any weight)."""
    m = weights[min(sequence, weights.shape[0] - 1)]
    rows = np.flatnonzero(np.isfinite(m).all(axis=1))
    m = m[: int(rows[-1]) + 1] if rows.size else m[:1]
    if source_length is None:
        used = np.flatnonzero(np.nan_to_num(m).sum(axis=0) > 0)
        source_length = int(used[-1]) + 1 if used.size else m.shape[1]
    return m[:, : max(1, min(source_length, m.shape[1]))]


class AttentionPlot(HeatmapView):
    def __init__(self) -> None:
        super().__init__("attentionPlot")
        self.matrix = self.add_heatmap(0, 0, "attention aₜₛ (probe sequence)", "attention aₜₛ", ATTENTION_LEVELS,
                                       ATTENTION_MAP, left="writes", unit_name="target step")
        self.matrix.plot.getViewBox().invertY(True)  # the first target step on top, as a matrix reads
        self.matrix.plot.getViewBox().sigResized.connect(self._update_rows)
        self.matrix.describe_unit = self._describe_row
        self.bar = self.color_bar(ATTENTION_LEVELS, ATTENTION_MAP, "weight")
        self.ci.addItem(self.bar, row=0, col=1)
        self.entropy = self.addPlot(row=0, col=2)
        theme.style_plot(self.entropy, "mean attention entropy", "step", "nats")
        self.entropy.setMenuEnabled(False)
        self.entropy.showGrid(x=True, y=True, alpha=theme.GRID_ALPHA)
        self.entropy_curve = pg.PlotDataItem(pen=pg.mkPen(theme.TRAIN, width=2), symbol="o", symbolSize=4,
                                             symbolBrush=theme.TRAIN, symbolPen=None, connect="finite")
        self.entropy.addItem(self.entropy_curve)
        self.ci.layout.setColumnStretchFactor(0, 3)
        self.ci.layout.setColumnStretchFactor(2, 2)
        self.source_labels: list[str] = []
        self.target_labels: list[str] = []
        self.decoder: str | None = None

    def show_probe(self, trace: dict[str, Any] | None, sequence: int, inputs: ProbeInputs | None,
                   history: Any) -> bool:
        """Show the newest probe's attention for ``sequence`` and the entropy of every probe in
        ``history`` (a RunHistory); returns False (showing nothing) when nothing attends."""
        found = attention_of(trace)
        if found is None:
            self.decoder = None
            return False
        self.decoder, layer, weights = found
        source = inputs.source_labels[sequence] if inputs and 0 <= sequence < len(inputs.source_labels) else None
        m = sequence_matrix(weights, sequence, len(source) if source else None)
        targets = inputs.target_out[sequence] if inputs and 0 <= sequence < len(inputs.target_out) else []
        self.source_labels = [source[s] if source and s < len(source) else str(s) for s in range(m.shape[1])]
        self.target_labels = [targets[t] if t < len(targets) else str(t) for t in range(m.shape[0])]
        self.matrix.set_values(m.T, self.source_labels, self._describe_column)  # (T, T'): source along x
        self._update_rows()
        steps = np.asarray(history.probe_steps(), dtype=np.float64)
        values = history.gate_means((self.decoder, layer, "forward"), ATTENTION_ENTROPY)
        self.entropy_curve.setData(steps, values)
        self.entropy.setYRange(0.0, math.log(max(2, weights.shape[2])), padding=0.05)  # 0 … uniform
        return True

    def reset(self) -> None:
        self.matrix.clear()
        self.entropy_curve.setData([], [])
        self.source_labels, self.target_labels = [], []

    # ------------------------------------------------------------------ labels and read-out
    def _update_rows(self) -> None:
        if self.matrix.values is None:
            return
        rows = [shown_token(t) for t in self.target_labels]
        per_row = self.matrix.plot.getViewBox().height() / max(1, len(rows))
        stride = max(1, math.ceil(ROW_LABEL_PX / per_row)) if per_row > 0 else 1  # a label needs a line's height
        ticks = [(t + 0.5, rows[t]) for t in range(0, len(rows), stride)]
        self.matrix.plot.getAxis("left").setTicks([ticks, []])

    def _describe_column(self, s: int) -> str:
        token = self.source_labels[s] if s < len(self.source_labels) else str(s)
        return f"source step, reads “{shown_token(token)}”"

    def _describe_row(self, t: int) -> str:
        token = self.target_labels[t] if t < len(self.target_labels) else str(t)
        return f"target step {t}, writes “{shown_token(token)}”"

    def read_out(self, target_step: int, source_step: int) -> str:
        """The hover text of one cell (what hovering it shows)."""
        return self.matrix.describe(source_step, target_step)
