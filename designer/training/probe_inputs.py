"""What labels the heatmaps' time axes: the probe sequences' tokens (or values), step by step.

A recurrent block reading the input is labelled with the input's tokens; a decoder with the
tokens it reads under teacher forcing (``<bos>`` then the target), and its hover read-out also
names the token it must write. Real-valued inputs are labelled with step numbers; their values
show on hover. The run's process labels its fixed probe batch (``engine.training.samples.probe_labels``)
and sends the labels with its ``begin`` event; :meth:`ProbeInputs.from_labels` reads them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class ProbeInputs:
    """Per probe sequence: a title, and for each time step a label (and the values, when real)."""

    titles: list[str] = field(default_factory=list)
    source_labels: list[list[str]] = field(default_factory=list)
    source_values: list[np.ndarray | None] = field(default_factory=list)  # (T, F) for real inputs
    target_in: list[list[str]] = field(default_factory=list)  # what a decoder reads at each step
    target_out: list[list[str]] = field(default_factory=list)  # what it must write
    marked: list[set[int]] = field(default_factory=list)  # steps a 0/1 marker feature flags (the adding problem)

    @classmethod
    def from_labels(cls, labels: dict[str, Any] | None) -> ProbeInputs | None:
        """From the plain lists of a run's ``begin`` event (None when the run does not probe)."""
        if not labels:
            return None
        values = [None if v is None else np.asarray(v, dtype=np.float64) for v in labels.get("source_values", [])]
        return cls(list(labels.get("titles", [])), [list(r) for r in labels.get("source_labels", [])], values,
                   [list(r) for r in labels.get("target_in", [])], [list(r) for r in labels.get("target_out", [])],
                   [set(int(t) for t in m) for m in labels.get("marked", [])])

    @property
    def count(self) -> int:
        return len(self.titles)

    def labels(self, sequence: int, decoder: bool, length: int) -> list[str]:
        """One label per time step (``length`` of them) for ``sequence``."""
        source = self.target_in if decoder else self.source_labels
        labels = source[sequence] if 0 <= sequence < len(source) else []
        return [labels[t] if t < len(labels) else str(t) for t in range(length)]

    def emphasis(self, sequence: int, decoder: bool) -> set[int]:
        """Steps whose labels must show however crowded the axis is (the marked steps)."""
        if decoder or not 0 <= sequence < len(self.marked):
            return set()
        return self.marked[sequence]

    def describe_step(self, sequence: int, decoder: bool, t: int) -> str:
        """What the cell saw at step ``t``, for the hover read-out."""
        if decoder:
            reads = _at(self.target_in, sequence, t)
            writes = _at(self.target_out, sequence, t)
            return f"reads {_quote(reads)} → writes {_quote(writes)}" if reads is not None else ""
        values = self.source_values[sequence] if 0 <= sequence < len(self.source_values) else None
        if values is not None:
            if t < len(values):
                return "x = " + ", ".join(f"{v:.3g}" for v in values[t][:4]) + (", …" if values.shape[1] > 4 else "")
            return ""
        token = _at(self.source_labels, sequence, t)
        return f"reads {_quote(token)}" if token is not None else ""


def _at(rows: list[list[str]], i: int, t: int) -> str | None:
    if 0 <= i < len(rows) and 0 <= t < len(rows[i]):
        return rows[i][t]
    return None


def _quote(token: str | None) -> str:
    if token is None:
        return "—"
    return "“␣”" if token == " " else f"“{token}”"
