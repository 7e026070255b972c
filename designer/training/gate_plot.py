"""Gate activations: a heatmap (time × unit) for each gate of the selected block, layer and
direction on one probe sequence, and each gate's mean over training as curves.

Which gates a block has, their names, symbols and whether each is a 0..1 gate or a −1..1
candidate come from the cell registry (``engine.document.cells``): an LSTM shows its input, forget
and output gates and its cell candidate gₜ, a GRU its reset and update gates and candidate nₜ, a
registered cell whatever it declares (up to :data:`SLOTS`). A cell without gates (Elman, Jordan)
is said so instead. The heatmap slots, the two colour bars and the curves are created once; a
block of another kind only re-titles, re-colours and re-arranges them.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg

from engine.document import cells
from engine.document.cells import CellSpec, Gate

from . import theme
from .heatmap import HeatmapView

SLOTS = 4
NOT_RECORDS = frozenset({"grad_h", "grad_norm", "attention"})  # beside the records, not a cell's own


def cell_kind_of(arrays: dict[str, np.ndarray]) -> str | None:
    """The registered cell whose probe records exactly these arrays; None when no single one does."""
    spec = cells.cell_of_records(frozenset(arrays) - NOT_RECORDS)
    return spec.kind if spec is not None else None


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
        self._curves = [pg.PlotDataItem(symbol="o", symbolSize=4, symbolPen=None) for _ in range(SLOTS)]
        self.message = pg.LabelItem("", color=theme.AXIS, size="10pt")
        self.gates: tuple[str, ...] = ()
        self.kind: str | None = None
        self._shown: tuple[Gate, ...] = ()
        self._arrange(None, empty=True)

    # ------------------------------------------------------------------ layout per cell kind
    def _arrange(self, kind: str | None, empty: bool = False) -> None:
        """Lay the slots out for ``kind``'s gates side by side, the colour bars beside them and the
        gates' means over training below."""
        for item in [h.plot for h in self.slots] + [self.gate_bar, self.state_bar, self.means, self.message]:
            self.unplace(item)
        for curve in self._curves:
            if curve in self.means.listDataItems():
                self.means.removeItem(curve)
        self.kind = kind
        spec: CellSpec | None = cells.cell(kind) if kind is not None and cells.is_cell(kind) else None
        self._shown = spec.gates[:SLOTS] if spec is not None and not empty else ()
        self.gates = tuple(g.name for g in self._shown)
        if not self._shown:
            if empty:
                text = "Start training to see the gates of the selected block."
            elif spec is None:
                text = "These probes come from a cell this window does not know; its gates cannot be shown."
            else:
                text = (f"A{'n' if spec.title[0] in 'AEIOU' else ''} {spec.title} cell has no gates: "
                        "its hidden state hₜ is under Cell & hidden state.")
            self.message.setText(text, color=theme.AXIS)
            self.place(self.message, 0, 0)
            return
        columns = len(self._shown)
        for i, gate in enumerate(self._shown):
            levels = theme.levels_of(gate)
            cmap = theme.GATE_MAP if levels == theme.GATE_LEVELS else theme.STATE_MAP
            slot = self.slots[i]
            slot.set_style(f"{gate.words} {gate.symbol}", levels, cmap, f"{gate.words} {gate.symbol}")
            self.place(slot.plot, 0, i)
        self.place(self.gate_bar, 0, columns)
        if not all(g.sigmoid for g in self._shown):
            self.place(self.state_bar, 0, columns + 1)
        self.place(self.means, 1, 0, colspan=columns)
        self.ci.layout.setRowStretchFactor(0, 2)
        self.ci.layout.setRowStretchFactor(1, 1)
        for curve, gate in zip(self._curves, self._gated()):
            color = theme.role_color(gate)
            curve.setPen(pg.mkPen(color, width=1.6))
            curve.setSymbolBrush(color)
            self.means.addItem(curve)
        keys = [(g.symbol, theme.role_color(g)) for g in self._gated()]
        self.means.setTitle(theme.keyed_title("gate means over training", keys), color=theme.TEXT, size="9pt")

    def _gated(self) -> tuple[Gate, ...]:
        return tuple(g for g in self._shown if g.sigmoid)

    @property
    def mean_curves(self) -> dict[str, pg.PlotDataItem]:
        """The curve of each shown gate's mean over training, by gate name."""
        return dict(zip(self.gated(), self._curves))

    def gated(self) -> tuple[str, ...]:
        """The shown arrays that are gates (0..1), not candidates: those get a mean curve."""
        return tuple(g.name for g in self._gated())

    # ------------------------------------------------------------------ data
    def show_probe(self, arrays: dict[str, np.ndarray], sequence: int, labels: list[str],
                   describe_step: Callable[[int], str] | None, emphasis: set[int] | None = None,
                   cell: str | None = None) -> None:
        """Show one probe's gates for ``sequence``; ``arrays[name]`` is (N, T, units). ``cell`` is the
        block's cell kind; without it the kind is the registered cell that records these arrays."""
        kind = cell or cell_kind_of(arrays)
        gated = kind is not None and cells.is_cell(kind) and bool(cells.cell(kind).gates)
        if kind != self.kind or not self.gates and gated:
            self._arrange(kind)
        for i, gate in enumerate(self.gates):
            if gate in arrays:
                values = arrays[gate][sequence]  # (T, units)
                self.slots[i].set_values(values, labels[:values.shape[0]], describe_step, emphasis)

    def show_means(self, steps: np.ndarray, means: dict[str, np.ndarray]) -> None:
        """Each gate's mean over the probe batch at every probe so far."""
        for gate, curve in self.mean_curves.items():
            values = means.get(gate)
            if values is not None:
                curve.setData(steps, values)

    def reset(self) -> None:
        for slot in self.slots:
            slot.clear()
        for curve in self._curves:
            curve.setData([], [])
        self._arrange(self.kind, empty=True)
