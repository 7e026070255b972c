"""Everything the plots show over training, kept on the GUI side as growing numpy arrays.

:class:`RunHistory` takes :class:`~designer.training.live_feed.TrainingUpdate` packets in order
and keeps: one entry per optimizer step (loss, gradient norm, time), one per validation, one
per probe (gate means and ‖∂L/∂h_t‖ per time step, for every block, layer and direction), and
the newest probe's whole trace. A continued run appends; a fresh one starts a new history.
:meth:`write_csv` exports the same columns as the CLI's ``metrics.csv``.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from .live_feed import ProbeKey, ProbeSummary, TrainingUpdate

_GROW = 1024


class _Column:
    """A numpy array that grows by doubling; :attr:`values` is a view of the filled part."""

    def __init__(self, dtype: type) -> None:
        self._data = np.empty(_GROW, dtype=dtype)
        self._n = 0

    def extend(self, values: np.ndarray) -> None:
        need = self._n + len(values)
        if need > len(self._data):
            grown = np.empty(max(need, 2 * len(self._data)), dtype=self._data.dtype)
            grown[:self._n] = self._data[:self._n]
            self._data = grown
        self._data[self._n:need] = values
        self._n = need

    @property
    def values(self) -> np.ndarray:
        return self._data[:self._n]

    def __len__(self) -> int:
        return self._n


class RunHistory:
    def __init__(self) -> None:
        self.steps = _Column(np.int64)
        self.losses = _Column(np.float64)
        self.grad_norms = _Column(np.float64)
        self.seconds = _Column(np.float64)
        self.epochs = _Column(np.int64)
        self.lrs = _Column(np.float64)
        self.seconds_offset = 0.0  # a continued run's clock starts after the last one's
        self.lr: float | None = None
        self.validations: list[tuple[int, int, dict[str, float]]] = []
        self.probes: list[ProbeSummary] = []
        self.trace: dict[str, Any] | None = None
        self.trace_step: int | None = None

    # ------------------------------------------------------------------ filling
    def begin_continued_run(self) -> None:
        """The next updates belong to a run that goes on from this one's weights."""
        self.seconds_offset = float(self.seconds.values[-1]) if len(self.seconds) else 0.0

    def add(self, update: TrainingUpdate) -> None:
        self.steps.extend(update.steps)
        self.losses.extend(update.losses)
        self.grad_norms.extend(update.grad_norms)
        self.seconds.extend(update.seconds + self.seconds_offset)
        self.epochs.extend(update.epochs)
        self.lrs.extend(np.full(len(update.steps), math.nan if update.lr is None else update.lr))
        if update.lr is not None:
            self.lr = update.lr
        self.validations.extend(update.validations)
        self.probes.extend(update.probes)
        if update.trace is not None:
            self.trace, self.trace_step = update.trace, update.trace_step

    # ------------------------------------------------------------------ reading
    @property
    def step(self) -> int:
        return int(self.steps.values[-1]) if len(self.steps) else 0

    def validation_series(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of one validation metric."""
        rows = [(s, m[metric]) for s, _, m in self.validations if metric in m]
        if not rows:
            return np.empty(0), np.empty(0)
        steps, values = zip(*rows)
        return np.asarray(steps, dtype=np.float64), np.asarray(values, dtype=np.float64)

    def probe_steps(self) -> np.ndarray:
        return np.asarray([p.step for p in self.probes], dtype=np.float64)

    def gate_means(self, key: ProbeKey, gate: str) -> np.ndarray:
        return np.asarray([p.gate_means.get(key, {}).get(gate, math.nan) for p in self.probes], dtype=np.float64)

    def grad_norm_image(self, key: ProbeKey) -> np.ndarray:
        """(probes, T) ‖∂L/∂h_t‖ over training; rows of another length are padded with NaN."""
        rows = [p.grad_norms.get(key) for p in self.probes]
        width = max((len(r) for r in rows if r is not None), default=0)
        out = np.full((len(rows), width), np.nan)
        for i, r in enumerate(rows):
            if r is not None:
                out[i, :len(r)] = r
        return out

    def probe_keys(self) -> list[ProbeKey]:
        """Every (block, layer, direction) with a gradient record in some probe, first seen first."""
        keys: dict[ProbeKey, None] = {}
        for p in self.probes:
            keys.update(dict.fromkeys(p.grad_norms))
        return list(keys)

    def gradient_reach(self, key: ProbeKey | None, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(probe steps, ‖∂L/∂h_t‖ at step ``t``) over training for ``key`` — how much of the loss's
        gradient reaches back to step t. ``key`` None or absent: this run's first recurrent block."""
        keys = self.probe_keys()
        if key not in keys:
            key = next((k for k in keys if k[1] == 0 and k[2] == "forward"), keys[0] if keys else None)
        if key is None:
            return np.empty(0), np.empty(0)
        rows = [(p.step, p.grad_norms[key][t] if key in p.grad_norms and 0 <= t < len(p.grad_norms[key]) else math.nan)
                for p in self.probes]
        steps, values = zip(*rows) if rows else ((), ())
        return np.asarray(steps, dtype=np.float64), np.asarray(values, dtype=np.float64)

    def last_validation(self) -> dict[str, float]:
        return dict(self.validations[-1][2]) if self.validations else {}

    # ------------------------------------------------------------------ export
    def write_csv(self, path: str | Path, metrics: list[str]) -> Path:
        """One row per step (loss, grad_norm, lr) and one per validation (``val_<metric>``), in
        step order — the columns of the CLI's ``metrics.csv``."""
        path = Path(path)
        columns = ["step", "epoch", "seconds", "loss", "grad_norm", "lr"] + [f"val_{m}" for m in metrics]
        rows: list[tuple[float, int, dict[str, Any]]] = []
        for step, epoch, sec, loss, grad, lr in zip(self.steps.values, self.epochs.values, self.seconds.values,
                                                    self.losses.values, self.grad_norms.values, self.lrs.values):
            rows.append((int(step), 0, {"step": int(step), "epoch": int(epoch), "seconds": _cell(sec),
                                        "loss": _cell(loss), "grad_norm": _cell(grad), "lr": _cell(lr)}))
        for step, epoch, val in self.validations:
            row: dict[str, Any] = {"step": step, "epoch": epoch}
            row.update({f"val_{k}": _cell(v) for k, v in val.items() if f"val_{k}" in columns})
            rows.append((step, 1, row))
        rows.sort(key=lambda r: (r[0], r[1]))
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, columns, extrasaction="ignore")
            writer.writeheader()
            for _, _, row in rows:
                writer.writerow(row)
        return path


def _cell(v: Any) -> Any:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{float(v):.6g}"
