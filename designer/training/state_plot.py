"""Cell state and hidden state: heatmaps (time × unit) of c_t (LSTM) and h_t on one probe sequence.

Both on the fixed levels −1..1 (tanh keeps h_t there; c_t may leave it, and then saturates the
colour — the read-out still gives its value). A Jordan cell shows its hidden layer h_t and the
output y_t it feeds back. The two heatmaps are created once; a cell without c_t hides the first.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import theme
from .heatmap import HeatmapView


class CellStatePlot(HeatmapView):
    def __init__(self) -> None:
        super().__init__("cellStatePlot")
        words, sym = theme.symbol("c")
        self.cell = self.add_heatmap(0, 0, f"{words} {sym}", f"{words} {sym}", theme.STATE_LEVELS, theme.STATE_MAP)
        words, sym = theme.symbol("h")
        self.hidden = self.add_heatmap(1, 0, f"{words} {sym}", f"{words} {sym}", theme.STATE_LEVELS, theme.STATE_MAP)
        self.bar = self.color_bar(theme.STATE_LEVELS, theme.STATE_MAP, "state  −1 … 1")
        self.ci.addItem(self.bar, row=0, col=1, rowspan=2)
        self.first_name = "c"

    def show_probe(self, arrays: dict[str, np.ndarray], sequence: int, labels: list[str],
                   describe_step: Callable[[int], str] | None, emphasis: set[int] | None = None) -> None:
        """c_t (or a Jordan cell's y_t) on top, h_t below, for ``sequence``."""
        first = "c" if "c" in arrays else ("y" if "y" in arrays else None)
        if first != self.first_name:
            self.first_name = first
            if first is None:  # only h_t: it takes the whole height
                self.cell.clear()
                self.unplace(self.cell.plot)
            else:
                words, sym = theme.symbol(first)
                self.cell.set_style(f"{words} {sym}", theme.STATE_LEVELS, theme.STATE_MAP, f"{words} {sym}")
                if self.cell.plot not in self.ci.items:
                    self.place(self.cell.plot, 0, 0)
        if first is not None:
            values = arrays[first][sequence]
            self.cell.set_values(values, labels[:values.shape[0]], describe_step, emphasis)
        values = arrays["h"][sequence]
        self.hidden.set_values(values, labels[:values.shape[0]], describe_step, emphasis)

    def reset(self) -> None:
        self.cell.clear()
        self.hidden.clear()
