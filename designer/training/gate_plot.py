"""Gate activations: a heatmap (time × unit) for each gate of the selected block, layer and
direction on one probe sequence, and each gate's mean over training as curves.

An LSTM shows its input, forget and output gates (0..1) and its cell candidate gₜ (−1..1); a GRU
its reset and update gates and candidate nₜ; a minimal GRU its update gate and candidate. Elman
and Jordan cells have no gates, which the plot says instead. The four heatmap slots, the two
colour bars and the curves are created once; a block of another kind only re-titles and
re-arranges them.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg

from . import theme
from .heatmap import HeatmapView

SLOTS = 4
GATES_OF = {"lstm": ("input", "forget", "cell", "output"), "gru": ("reset", "update", "candidate"),
            "min_gru": ("update", "candidate"), "elman": (), "jordan": ()}
CELL_WORDS = {"lstm": "LSTM", "gru": "GRU", "min_gru": "minimal GRU", "elman": "Elman", "jordan": "Jordan"}


def cell_kind_of(arrays: dict[str, np.ndarray]) -> str:
    """The cell kind a probe's arrays come from (see ``engine.training.probes.GATES``)."""
    if "forget" in arrays:
        return "lstm"
    if "reset" in arrays:
        return "gru"
    if "update" in arrays:
        return "min_gru"
    if "y" in arrays:
        return "jordan"
    return "elman"


class GatePlot(HeatmapView):
    def __init__(self) -> None:
        super().__init__("gatePlot")
        self.slots = [self.add_heatmap(None, 0, "", "gate", theme.GATE_LEVELS, theme.GATE_MAP) for _ in range(SLOTS)]
        self.gate_bar = self.color_bar(theme.GATE_LEVELS, theme.GATE_MAP, "gate  0 … 1")
        self.state_bar = self.color_bar(theme.STATE_LEVELS, theme.STATE_MAP, "candidate  −1 … 1")
        self.means = pg.PlotItem()
        theme.style_plot(self.means, "gate means over training", "step", "mean")
        self.means.setYRange(0, 1, padding=0.02)
        self.means.showGrid(x=True, y=True, alpha=theme.GRID_ALPHA)
        self.mean_curves: dict[str, pg.PlotDataItem] = {}
        for gate, color in theme.GATE_COLORS.items():
            curve = pg.PlotDataItem(pen=pg.mkPen(color, width=1.6), symbol="o", symbolSize=4,
                                    symbolBrush=color, symbolPen=None)
            self.mean_curves[gate] = curve
        self.message = pg.LabelItem("", color=theme.AXIS, size="10pt")
        self.gates: tuple[str, ...] = ()
        self.kind: str | None = None
        self._arrange("lstm", empty=True)

    # ------------------------------------------------------------------ layout per cell kind
    def _arrange(self, kind: str, empty: bool = False) -> None:
        """Lay the slots out for ``kind``'s gates (2 columns) with the colour bars beside them."""
        for item in [h.plot for h in self.slots] + [self.gate_bar, self.state_bar, self.means, self.message]:
            self.unplace(item)
        for curve in self.mean_curves.values():
            if curve in self.means.listDataItems():
                self.means.removeItem(curve)
        self.kind = kind
        self.gates = GATES_OF.get(kind, ())
        if not self.gates or empty:
            words = CELL_WORDS.get(kind, kind)
            text = ("Start training to see the gates of the selected block." if empty else
                    f"A{'n' if words[0] in 'AEIOU' else ''} {words} cell has no gates: "
                    "its hidden state hₜ is under Cell & hidden state.")
            self.message.setText(text, color=theme.AXIS)
            self.place(self.message, 0, 0)
            self.gates = () if empty else self.gates
            return
        rows = (len(self.gates) + 1) // 2
        for i, gate in enumerate(self.gates):
            words, sym = theme.symbol(gate, kind)
            levels = theme.levels_of(gate)
            cmap = theme.GATE_MAP if levels == theme.GATE_LEVELS else theme.STATE_MAP
            slot = self.slots[i]
            slot.set_style(f"{words} {sym}", levels, cmap, f"{words} {sym}")
            self.place(slot.plot, i // 2, i % 2)
        self.place(self.gate_bar, 0, 2, rowspan=rows)
        if any(theme.levels_of(g) == theme.STATE_LEVELS for g in self.gates):
            self.place(self.state_bar, 0, 3, rowspan=rows)
        self.place(self.means, rows, 0, colspan=2)
        self.ci.layout.setRowStretchFactor(rows, 1)
        for r in range(rows):
            self.ci.layout.setRowStretchFactor(r, 2)
        for gate in self.gated():
            self.means.addItem(self.mean_curves[gate])
        keys = [(theme.symbol(g, kind)[1], theme.GATE_COLORS[g]) for g in self.gated()]
        self.means.setTitle(theme.keyed_title("gate means over training", keys), color=theme.TEXT, size="9pt")

    def gated(self) -> tuple[str, ...]:
        """The shown arrays that are gates (0..1), not candidates: those get a mean curve."""
        return tuple(g for g in self.gates if g in theme.SIGMOID_GATES)

    # ------------------------------------------------------------------ data
    def show_probe(self, arrays: dict[str, np.ndarray], sequence: int, labels: list[str],
                   describe_step: Callable[[int], str] | None, emphasis: set[int] | None = None) -> None:
        """Show one probe's gates for ``sequence``; ``arrays[name]`` is (N, T, units)."""
        kind = cell_kind_of(arrays)
        if kind != self.kind or not self.gates and GATES_OF.get(kind):
            self._arrange(kind)
        for i, gate in enumerate(self.gates):
            values = arrays[gate][sequence]  # (T, units)
            self.slots[i].set_values(values, labels[:values.shape[0]], describe_step, emphasis)

    def show_means(self, steps: np.ndarray, means: dict[str, np.ndarray]) -> None:
        """Each gate's mean over the probe batch at every probe so far."""
        for gate in self.gated():
            values = means.get(gate)
            if values is not None:
                self.mean_curves[gate].setData(steps, values)

    def reset(self) -> None:
        for slot in self.slots:
            slot.clear()
        for curve in self.mean_curves.values():
            curve.setData([], [])
        self._arrange(self.kind or "lstm", empty=True)
