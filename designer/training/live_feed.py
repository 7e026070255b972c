"""The trainer callback that turns a run into batched updates for the window, at most 30 a second.

The Trainer calls :class:`LiveFeed` on the worker thread after every step, probe and validation.
The feed only appends to lists; every :data:`MIN_INTERVAL` seconds (and when the run pauses or
ends) it packs what gathered since the last send into one :class:`TrainingUpdate` of numpy arrays
and hands it to ``send`` — a Qt signal emitted with a queued connection, so updates reach the GUI
thread in order. The GUI keeps the history; an update carries only what is new, plus the whole
trace of the newest probe (the heatmaps show one probe at a time).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_RATE_HZ = 30
MIN_INTERVAL = 1.0 / MAX_RATE_HZ

ProbeKey = tuple[str, int, str]  # (block id, layer, direction)
GATE_NAMES = ("input", "forget", "cell", "output", "reset", "update", "candidate")


@dataclass
class ProbeSummary:
    """What the plots keep of every probe over training: each gate's mean, and ‖∂L/∂h_t‖ per time
    step averaged over the probe sequences, for every block, layer and direction."""

    step: int
    gate_means: dict[ProbeKey, dict[str, float]]
    grad_norms: dict[ProbeKey, np.ndarray]  # (T,)


@dataclass
class TrainingUpdate:
    """What happened since the last update. Arrays are parallel: one entry per optimizer step."""

    steps: np.ndarray  # (n,) int
    losses: np.ndarray  # (n,) float
    grad_norms: np.ndarray  # (n,) float, the parameters' gradient norm before clipping
    seconds: np.ndarray  # (n,) float since the run began
    epochs: np.ndarray  # (n,) int
    lr: float | None = None
    validations: list[tuple[int, int, dict[str, float]]] = field(default_factory=list)  # (step, epoch, metrics)
    probes: list[ProbeSummary] = field(default_factory=list)
    trace: dict[str, Any] | None = None  # engine.training.probes trace of the newest probe
    trace_step: int | None = None

    @property
    def empty(self) -> bool:
        return not len(self.steps) and not self.validations and not self.probes and self.trace is None


def summarize_probe(step: int, trace: dict[str, Any]) -> ProbeSummary:
    """The per-probe numbers kept over training (see :class:`ProbeSummary`)."""
    means: dict[ProbeKey, dict[str, float]] = {}
    grads: dict[ProbeKey, np.ndarray] = {}
    for block, layers in trace.items():
        for layer, directions in layers.items():
            for direction, arrays in directions.items():
                key = (block, int(layer), direction)
                means[key] = {name: _nanmean(arrays[name]) for name in GATE_NAMES if name in arrays}
                if "grad_norm" in arrays:
                    g = arrays["grad_norm"]  # (N, T), NaN past each sequence's end
                    with np.errstate(all="ignore"):
                        counted = np.isfinite(g).sum(0)
                        grads[key] = np.where(counted > 0, np.nansum(g, 0) / np.maximum(counted, 1), np.nan)
    return ProbeSummary(step, means, grads)


def _nanmean(a: np.ndarray) -> float:
    finite = a[np.isfinite(a)]
    return float(finite.mean()) if finite.size else float("nan")


class LiveFeed:
    """A Trainer callback (see :mod:`engine.training`) that batches what it hears into updates.

    ``send(update)`` is called from the worker thread, or from the GUI thread by :meth:`flush`
    (while the run is paused, so the last steps show); a lock keeps the two from interleaving."""

    def __init__(self, send: Callable[[TrainingUpdate], None]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._last_send = 0.0
        self._reset()

    def _reset(self) -> None:
        self._steps: list[int] = []
        self._losses: list[float] = []
        self._grads: list[float] = []
        self._seconds: list[float] = []
        self._epochs: list[int] = []
        self._lr: float | None = None
        self._validations: list[tuple[int, int, dict[str, float]]] = []
        self._probes: list[ProbeSummary] = []
        self._trace: dict[str, Any] | None = None
        self._trace_step: int | None = None

    # ------------------------------------------------------------------ Trainer callbacks
    def on_step(self, m: dict[str, Any]) -> None:
        with self._lock:
            self._steps.append(int(m["step"]))
            self._losses.append(float(m["loss"]))
            self._grads.append(float(m["grad_norm"]))
            self._seconds.append(float(m["seconds"]))
            self._epochs.append(int(m["epoch"]))
            self._lr = float(m["lr"])
        self._maybe_send()

    def on_probe(self, event: dict[str, Any]) -> None:
        self.add_probe(int(event["step"]), event["trace"])

    def add_probe(self, step: int, trace: dict[str, Any]) -> None:
        summary = summarize_probe(step, trace)
        with self._lock:
            self._probes.append(summary)
            self._trace, self._trace_step = trace, step
        self._maybe_send()

    def on_validation(self, summary: dict[str, Any]) -> None:
        with self._lock:
            self._validations.append((int(summary["step"]), int(summary["epoch"]), dict(summary["val"])))
        self._maybe_send()

    def on_train_end(self, result: dict[str, Any]) -> None:
        self.flush()

    # ------------------------------------------------------------------ sending
    def _maybe_send(self) -> None:
        """Send when the last update is at least :data:`MIN_INTERVAL` old; what waits goes with the
        next step's update, or with the flush the GUI asks for while the run is paused."""
        if time.perf_counter() - self._last_send >= MIN_INTERVAL:
            self.flush()

    def flush(self) -> None:
        """Send what gathered since the last update, if anything (any thread)."""
        with self._lock:
            update = TrainingUpdate(
                steps=np.asarray(self._steps, dtype=np.int64), losses=np.asarray(self._losses, dtype=np.float64),
                grad_norms=np.asarray(self._grads, dtype=np.float64),
                seconds=np.asarray(self._seconds, dtype=np.float64), epochs=np.asarray(self._epochs, dtype=np.int64),
                lr=self._lr, validations=self._validations, probes=self._probes,
                trace=self._trace, trace_step=self._trace_step)
            self._reset()
            if update.empty:
                return
            self._last_send = time.perf_counter()
            self._send(update)  # under the lock: updates leave in the order they were made
