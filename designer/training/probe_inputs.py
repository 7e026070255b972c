"""What labels the heatmaps' time axes: the probe sequences' tokens (or values), step by step.

A recurrent block reading the input is labelled with the input's tokens; a decoder with the
tokens it reads under teacher forcing (``<bos>`` then the target), and its hover read-out also
names the token it must write. Real-valued inputs are labelled with step numbers; their values
show on hover. Built once per run on the worker thread from the task's fixed probe batch.
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


def probe_inputs(task: Any, batch: Any) -> ProbeInputs:
    """The labels of ``batch`` (the task's probe batch) for every sequence in it."""
    out = ProbeInputs()
    x = batch.x.cpu()
    n = x.shape[0]
    lengths = batch.lengths.cpu().tolist() if batch.lengths is not None else None
    src_vocab, tgt_vocab = task.source_vocab, task.target_vocab or task.source_vocab
    for i in range(n):
        if x.dim() >= 2 and x.dtype.is_floating_point:  # (T, F) real-valued steps
            steps = x[i] if x.dim() == 3 else x[i][:, None]
            length = lengths[i] if lengths is not None else steps.shape[0]
            values = steps[:length].numpy()
            marked = _marked_steps(values)
            out.source_labels.append([f"▲{t}" if t in marked else str(t) for t in range(length)])
            out.source_values.append(values)
            out.marked.append(marked)
        elif x.dim() == 2:  # token ids
            length = lengths[i] if lengths is not None else x.shape[1]
            ids = x[i, :length].tolist()
            out.source_labels.append([src_vocab.token(k) if src_vocab else str(k) for k in ids])
            out.source_values.append(None)
            out.marked.append(set())
        else:  # a class or a vector: no time axis of its own
            out.source_labels.append([])
            out.source_values.append(None)
            out.marked.append(set())
        if batch.y_in is not None:
            mask = batch.y_mask[i].tolist() if batch.y_mask is not None else [True] * batch.y_in.shape[1]
            t_in = [k for k, m in zip(batch.y_in[i].tolist(), mask) if m]
            t_out = [k for k, m in zip(batch.y[i].tolist(), mask) if m]
            out.target_in.append([tgt_vocab.token(k) if tgt_vocab else str(k) for k in t_in])
            out.target_out.append([tgt_vocab.token(k) if tgt_vocab else str(k) for k in t_out])
        else:
            out.target_in.append([])
            out.target_out.append([])
        out.titles.append(_title(task, batch, i))
    return out


def _marked_steps(values: np.ndarray, most: int = 8) -> set[int]:
    """Steps flagged by a last feature that is 0 or 1 and rarely 1 (a marker), else none."""
    if values.ndim != 2 or values.shape[1] < 2 or not len(values):
        return set()
    flag = values[:, -1]
    if not np.isin(flag, (0.0, 1.0)).all():
        return set()
    steps = set(np.flatnonzero(flag == 1.0).tolist())
    return steps if 0 < len(steps) <= most else set()


def _title(task: Any, batch: Any, i: int) -> str:
    from .samples import _cut, _input_text

    try:
        return f"#{i + 1}  {_cut(_input_text(task, batch, i))}"
    except Exception:  # noqa: BLE001 - a title is decoration; a task that cannot show one still trains
        return f"#{i + 1}"
