"""Metrics a task can name: each turns (model, output, batch) into a (total, count) pair, so a
validation set is scored by summing over its mini-batches and dividing once at the end.

=======================  ==========================================================================
``mse``                  mean squared error over every counted output
``accuracy``             one class per example: the arg-max equals the label
``token_accuracy``       per step (teacher forcing for decoders): counted positions predicted right
``sequence_accuracy``    per step: every counted position of a sequence right
``exact_match``          greedy generation (``model.generate``) equals the target sequence exactly
``long_range_accuracy``  embedded Reber: the second-to-last symbol, the one that needs memory
=======================  ==========================================================================
"""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor

from .batch import Batch
from .vocab import PAD

MetricFn = Callable[[Any, Tensor, Batch], tuple[float, int]]


def _mask(batch: Batch, like: Tensor) -> Tensor:
    """(B, T) bool of the positions that count, for a per-step output ``like`` (B, T, C)."""
    if batch.y_mask is not None:
        return batch.y_mask[:, :like.shape[1]]
    return torch.ones(like.shape[:2], dtype=torch.bool, device=like.device)


def mse(model: Any, output: Tensor, batch: Batch) -> tuple[float, int]:
    err = (output.float() - batch.y.float()) ** 2
    if output.dim() == 3:
        m = _mask(batch, output)[..., None].expand_as(err)
        return float(err[m].sum()), int(m.sum())
    return float(err.sum()), err.numel()


def accuracy(model: Any, output: Tensor, batch: Batch) -> tuple[float, int]:
    if output.dim() == 3:
        return token_accuracy(model, output, batch)
    return float((output.argmax(-1) == batch.y).sum()), int(batch.y.numel())


def token_accuracy(model: Any, output: Tensor, batch: Batch) -> tuple[float, int]:
    if output.dim() == 2:
        return accuracy(model, output, batch)
    m = _mask(batch, output)
    right = (output.argmax(-1) == batch.y) & m
    return float(right.sum()), int(m.sum())


def sequence_accuracy(model: Any, output: Tensor, batch: Batch) -> tuple[float, int]:
    m = _mask(batch, output)
    wrong = (output.argmax(-1) != batch.y) & m
    return float((~wrong.any(1)).sum()), int(batch.y.shape[0])


def exact_match(model: Any, output: Tensor, batch: Batch) -> tuple[float, int]:
    """Greedy generation against the target; both end with <eos> then padding."""
    generated = model.generate(batch.x, batch.lengths, max_len=batch.y.shape[1] + 1)
    return float(sequences_equal(generated, batch.y).sum()), int(batch.y.shape[0])


def sequences_equal(a: Tensor, b: Tensor) -> Tensor:
    """(B,) bool: the rows of two 0-padded id matrices hold the same ids (widths may differ)."""
    width = max(a.shape[1], b.shape[1])
    a = torch.nn.functional.pad(a, (0, width - a.shape[1]), value=PAD)
    b = torch.nn.functional.pad(b.to(a.device), (0, width - b.shape[1]), value=PAD)
    return (a == b).all(1)


def long_range_accuracy(model: Any, output: Tensor, batch: Batch) -> tuple[float, int]:
    """The prediction made on reading the inner string's final E: the symbol that must match the
    second one (position ``length - 2`` of the target)."""
    if batch.lengths is None:
        lengths = torch.full((output.shape[0],), output.shape[1], device=output.device)
    else:
        lengths = batch.lengths.to(output.device)
    rows = torch.arange(output.shape[0], device=output.device)
    pos = lengths - 2
    right = output[rows, pos].argmax(-1) == batch.y[rows, pos]
    return float(right.sum()), int(right.numel())


METRICS: dict[str, MetricFn] = {
    "mse": mse, "accuracy": accuracy, "token_accuracy": token_accuracy,
    "sequence_accuracy": sequence_accuracy, "exact_match": exact_match,
    "long_range_accuracy": long_range_accuracy,
}


class MetricTotals:
    """Running (total, count) sums of several metrics over mini-batches."""

    def __init__(self) -> None:
        self._sums: dict[str, list[float]] = {}

    def add(self, name: str, total: float, count: int) -> None:
        s = self._sums.setdefault(name, [0.0, 0])
        s[0] += total
        s[1] += count

    def result(self) -> dict[str, float]:
        return {k: (t / c if c else float("nan")) for k, (t, c) in self._sums.items()}
