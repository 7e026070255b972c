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

import csv
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from engine.data.batch import Batch
from engine.vocab import PAD

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


@torch.no_grad()
def evaluate(model: Any, task: Any, batch_size: int = 256, device: torch.device | str | None = None,
             split: str = "val") -> dict[str, float]:
    """The task's metrics on a whole split (``loss`` included), the model in eval mode."""
    model = getattr(model, "module", model)
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    totals = MetricTotals()
    try:
        for batch in task.batches(split, batch_size, shuffle=False):
            batch = batch.to(device)
            output = model(batch.x, batch.lengths, batch.y_in)
            n = len(batch)
            totals.add("loss", float(model.loss(output, batch.y, batch.y_mask)) * n, n)
            for name in task.metrics:
                if name != "loss":
                    totals.add(name, *METRICS[name](model, output, batch))
    finally:
        model.train(was_training)
    return totals.result()


# ---------------------------------------------------------------------- where metrics are written
class CSVLogger:
    """A trainer callback writing ``metrics.csv``: one row per step (loss, gradient norm, learning
    rate) and one per validation (``val_<metric>`` columns); cells that do not apply stay empty."""

    def __init__(self, path: str | os.PathLike[str], metrics: Sequence[str], append: bool = False) -> None:
        self.path = Path(path)
        self.columns = ["step", "epoch", "seconds", "loss", "grad_norm", "lr"] + [f"val_{m}" for m in metrics]
        exists = append and self.path.exists() and self.path.stat().st_size > 0
        self._fh = open(self.path, "a" if exists else "w", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._fh, self.columns, extrasaction="ignore")
        if not exists:
            self._writer.writeheader()
        self._seconds = 0.0

    def on_step(self, m: dict[str, Any]) -> None:
        self._seconds = m.get("seconds", self._seconds)
        self._writer.writerow({k: _cell(m.get(k)) for k in ("step", "epoch", "seconds", "loss", "grad_norm", "lr")})

    def on_validation(self, s: dict[str, Any]) -> None:
        row = {"step": s["step"], "epoch": s["epoch"], "seconds": _cell(self._seconds)}
        row.update({f"val_{k}": _cell(v) for k, v in s["val"].items()})
        self._writer.writerow(row)
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


def _cell(v: Any) -> Any:
    return f"{v:.6g}" if isinstance(v, float) else ("" if v is None else v)


class TensorBoardLogger:
    """A trainer callback writing TensorBoard event files (needs ``pip install rnn-designer[tensorboard]``)."""

    def __init__(self, log_dir: str | os.PathLike[str]) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            from engine.errors import TrainingError

            raise TrainingError("TensorBoard logging needs the tensorboard package: "
                                "pip install 'rnn-designer[tensorboard]'") from None
        self.writer = SummaryWriter(str(log_dir))

    def on_step(self, m: dict[str, Any]) -> None:
        self.writer.add_scalar("train/loss", m["loss"], m["step"])
        self.writer.add_scalar("train/grad_norm", m["grad_norm"], m["step"])

    def on_validation(self, s: dict[str, Any]) -> None:
        for k, v in s["val"].items():
            self.writer.add_scalar(f"val/{k}", v, s["step"])

    def on_probe(self, event: dict[str, Any]) -> None:
        import numpy as np

        for block, layers in event["trace"].items():
            for layer, directions in layers.items():
                for direction, arrays in directions.items():
                    if "grad_norm" in arrays:
                        g = np.nanmean(arrays["grad_norm"], axis=0)
                        if g.size and np.isfinite(g).any():
                            self.writer.add_scalar(f"grad_norm_first_step/{block}.{layer}.{direction}",
                                                   float(g[np.isfinite(g)][0]), event["step"])

    def close(self) -> None:
        self.writer.close()
