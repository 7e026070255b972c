"""A run's live event stream: an append-only log in its run folder that anyone can follow.

Every run — started by the window, by ``rnn-designer train`` in a terminal, or by rank 0 of a
torchrun job — writes the same stream into its run folder:

- ``events.jsonl``: one JSON object per line, appended in order and never rewritten. ``type`` is
  ``begin`` (what the run is: task, metrics, device, steps, probe labels, the process id),
  ``steps`` (parallel lists: ``step``, ``loss``, ``grad_norm``, ``seconds``, ``epoch``, and the
  ``lr``), ``validation`` (``step``, ``epoch``, ``val``), ``probe`` (one probe's summary: each
  gate's mean and ‖∂L/∂h_t‖ per time step, for every block, layer and direction), ``trace``
  (a newer :data:`TRACE_FILE` is in place, of ``step``), ``note``, and last ``end`` (the
  Trainer's result, sample predictions, the checkpoint) or ``failed`` (a message, and whether
  the weights had been touched).
- :data:`TRACE_FILE`: the newest probe's whole trace as ``.npz`` (numpy, never pickle), replaced
  atomically, so the log stays small however long the run.

:class:`EventWriter` is a Trainer callback: it batches what it hears and writes at most
:data:`MAX_RATE_HZ` times a second (and at once while the run is paused or ends), the trace at
most :data:`TRACE_MAX_HZ` times a second. :class:`EventReader` follows a folder: each
:meth:`~EventReader.read` returns the complete lines appended since the last one.
"""
from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.document.cells import gate_names
from engine.files import atomic_write

EVENTS_FILE = "events.jsonl"
TRACE_FILE = "probe-latest.npz"
MAX_RATE_HZ = 30
MIN_INTERVAL = 1.0 / MAX_RATE_HZ
TRACE_MAX_HZ = 5  # heatmaps redrawn five times a second are live enough; the file stays off the disk's back

ProbeKey = tuple[str, int, str]  # (block id, layer, direction)
Trace = dict[str, dict[int, dict[str, dict[str, np.ndarray]]]]  # engine.training.probes.probe's result


@dataclass
class ProbeSummary:
    """What the plots keep of every probe over training: each gate's mean, and ‖∂L/∂h_t‖ per time
    step averaged over the probe sequences, for every block, layer and direction."""

    step: int
    gate_means: dict[ProbeKey, dict[str, float]]
    grad_norms: dict[ProbeKey, np.ndarray]  # (T,)

    def to_json(self) -> dict[str, Any]:
        keys = sorted(set(self.gate_means) | set(self.grad_norms))
        return {"step": self.step, "keys": [list(k) for k in keys],
                "gate_means": [self.gate_means.get(k, {}) for k in keys],
                "grad_norms": [None if k not in self.grad_norms else self.grad_norms[k].tolist() for k in keys]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProbeSummary:
        means: dict[ProbeKey, dict[str, float]] = {}
        grads: dict[ProbeKey, np.ndarray] = {}
        for key, m, g in zip(data["keys"], data["gate_means"], data["grad_norms"]):
            k = (str(key[0]), int(key[1]), str(key[2]))
            means[k] = {name: float(v) for name, v in m.items()}
            if g is not None:
                grads[k] = np.asarray(g, dtype=np.float64)
        return cls(int(data["step"]), means, grads)


def summarize_probe(step: int, trace: Trace) -> ProbeSummary:
    """The per-probe numbers kept over training (see :class:`ProbeSummary`)."""
    means: dict[ProbeKey, dict[str, float]] = {}
    grads: dict[ProbeKey, np.ndarray] = {}
    for block, layers in trace.items():
        for layer, directions in layers.items():
            for direction, arrays in directions.items():
                key = (block, int(layer), direction)
                means[key] = {name: _nanmean(arrays[name]) for name in gate_names() if name in arrays}
                if "attention" in arrays:  # an attending decoder: how spread its weights are
                    means[key][ATTENTION_ENTROPY] = attention_entropy(arrays["attention"])
                if "grad_norm" in arrays:
                    g = arrays["grad_norm"]  # (N, T), NaN past each sequence's end
                    with np.errstate(all="ignore"):
                        counted = np.isfinite(g).sum(0)
                        grads[key] = np.where(counted > 0, np.nansum(g, 0) / np.maximum(counted, 1), np.nan)
    return ProbeSummary(step, means, grads)


ATTENTION_ENTROPY = "attention_entropy"  # the name it is kept under among a probe's means


def attention_entropy(weights: np.ndarray, eps: float = 1e-12) -> float:
    """Mean entropy (nats) of attention rows (…, T) — 0: each step looks at one source step; log T:
    spread evenly. Rows past a probe sequence's end (NaN) are left out."""
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0:
        return float("nan")
    rows = w.reshape(-1, w.shape[-1])
    rows = rows[np.isfinite(rows).all(1)]
    return float(-(rows * np.log(rows + eps)).sum(1).mean()) if len(rows) else float("nan")


def _nanmean(a: np.ndarray) -> float:
    finite = a[np.isfinite(a)]
    return float(finite.mean()) if finite.size else float("nan")


# ---------------------------------------------------------------------- the newest trace on disk
def save_trace(folder: Path, step: int, trace: Trace) -> Path:
    """Write ``trace`` as :data:`TRACE_FILE` in ``folder``, atomically (a reader never sees half)."""
    arrays = {"__step__": np.asarray(step, dtype=np.int64)}
    for block, layers in trace.items():
        for layer, directions in layers.items():
            for direction, named in directions.items():
                for name, a in named.items():
                    arrays[json.dumps([block, int(layer), direction, name])] = np.asarray(a)
    path = folder / TRACE_FILE

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    return atomic_write(path, write, durable=False)  # the one writer; a live trace needs no fsync


def load_trace(folder: str | os.PathLike[str]) -> tuple[int, Trace] | None:
    """(step, trace) of the newest probe written in ``folder``; None when there is none (yet)."""
    path = Path(folder) / TRACE_FILE
    try:
        with np.load(path, allow_pickle=False) as data:
            step = int(data["__step__"])
            trace: Trace = {}
            for key in data.files:
                if key == "__step__":
                    continue
                block, layer, direction, name = json.loads(key)
                trace.setdefault(block, {}).setdefault(int(layer), {}).setdefault(direction, {})[name] = data[key]
    except (OSError, ValueError, KeyError):  # not written yet, or replaced while being opened
        return None
    return step, trace


# ---------------------------------------------------------------------- writing
class EventWriter:
    """A Trainer callback that appends the run's events to ``folder``/:data:`EVENTS_FILE`.

    ``rank`` other than 0 writes nothing (under torchrun only rank 0 streams). ``begin`` — extra
    fields for the ``begin`` event (task title, probe labels, notes ...). ``urgent()`` — True
    when what waits must go at once (the run is paused or stopping). Callable from any thread."""

    def __init__(self, folder: str | os.PathLike[str], *, rank: int = 0, begin: dict[str, Any] | None = None,
                 urgent: Callable[[], bool] | None = None) -> None:
        self.folder = Path(folder)
        self.enabled = rank == 0
        self.begin_fields = dict(begin or {})
        self.urgent = urgent or (lambda: False)
        self._lock = threading.Lock()
        self._last_send = 0.0
        self._last_trace = 0.0
        self._fh: Any = None
        if self.enabled:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.folder / EVENTS_FILE, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self._reset()

    def _reset(self) -> None:
        self._steps: list[int] = []
        self._losses: list[float] = []
        self._grads: list[float] = []
        self._seconds: list[float] = []
        self._epochs: list[int] = []
        self._lr: float | None = None
        self._events: list[dict[str, Any]] = []  # validations and probe summaries, in order

    # ------------------------------------------------------------------ Trainer callbacks
    def on_train_begin(self, info: dict[str, Any]) -> None:
        self.write({"type": "begin", **info, **self.begin_fields, "pid": os.getpid(), "host": socket.gethostname(),
                    "time": time.time()})

    def on_step(self, m: dict[str, Any]) -> None:
        with self._lock:
            self._steps.append(int(m["step"]))
            self._losses.append(float(m["loss"]))
            self._grads.append(float(m["grad_norm"]))
            self._seconds.append(float(m["seconds"]))
            self._epochs.append(int(m["epoch"]))
            self._lr = float(m["lr"])
        self._maybe_flush()

    def on_probe(self, event: dict[str, Any]) -> None:
        self.add_probe(int(event["step"]), event["trace"])

    def add_probe(self, step: int, trace: Trace) -> None:
        summary = summarize_probe(step, trace)
        with self._lock:
            self._events.append({"type": "probe", **summary.to_json()})
            self._pending_trace = (step, trace)
        self._maybe_flush()

    def on_validation(self, summary: dict[str, Any]) -> None:
        with self._lock:
            self._events.append({"type": "validation", "step": int(summary["step"]), "epoch": int(summary["epoch"]),
                                 "val": {k: float(v) for k, v in summary["val"].items()}})
        self._maybe_flush()

    def on_train_end(self, result: dict[str, Any]) -> None:
        self.flush(force=True)

    # ------------------------------------------------------------------ the run's last word
    def end(self, result: dict[str, Any], **extra: Any) -> None:
        self.flush(force=True)
        self.write({"type": "end", "result": result, **extra, "time": time.time()})

    def fail(self, message: str, touched: bool, **extra: Any) -> None:
        self.flush(force=True)
        self.write({"type": "failed", "message": message, "touched": touched, **extra, "time": time.time()})

    def note(self, text: str) -> None:
        self.write({"type": "note", "text": text})

    # ------------------------------------------------------------------ sending
    _pending_trace: tuple[int, Trace] | None = None

    def _maybe_flush(self) -> None:
        urgent = self.urgent()
        if urgent or time.perf_counter() - self._last_send >= MIN_INTERVAL:
            self.flush(force=urgent)

    def flush(self, force: bool = False) -> None:
        """Write what gathered since the last write; the newest trace too when it is due (or ``force``)."""
        with self._lock:
            lines = []
            if self._steps:
                lines.append({"type": "steps", "step": self._steps, "loss": self._losses, "grad_norm": self._grads,
                              "seconds": self._seconds, "epoch": self._epochs, "lr": self._lr})
            lines += self._events
            now = time.perf_counter()
            trace = self._pending_trace
            if trace is not None and (force or now - self._last_trace >= 1.0 / TRACE_MAX_HZ):
                self._pending_trace = None
                self._last_trace = now
                if self.enabled:
                    save_trace(self.folder, *trace)
                lines.append({"type": "trace", "step": trace[0]})
            self._reset()
            if not lines:
                return
            self._last_send = now
            self._write_lines(lines)

    def write(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._write_lines([event])

    def _write_lines(self, events: list[dict[str, Any]]) -> None:
        if self._fh is None:
            return
        self._fh.write("".join(json.dumps(e, default=_json_default) + "\n" for e in events))
        self._fh.flush()

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (set, tuple)):
        return sorted(value) if isinstance(value, set) else list(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


# ---------------------------------------------------------------------- reading
class EventReader:
    """Follows ``folder``/:data:`EVENTS_FILE`: :meth:`read` returns the events appended since the
    last call (complete lines only: a line being written is read next time)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / EVENTS_FILE
        self._offset = 0
        self._partial = b""

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def read(self, limit: int = 8 << 20) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read(limit)
        except FileNotFoundError:
            return []
        if not chunk:
            return []
        self._offset += len(chunk)
        data = self._partial + chunk
        cut = data.rfind(b"\n") + 1
        self._partial = data[cut:]
        events = []
        for line in data[:cut].splitlines():
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:  # a torn line (a killed writer): skip it, keep following
                continue
            if isinstance(event, dict):
                events.append(event)
        return events


def read_all(folder: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every event a run folder holds so far."""
    reader = EventReader(folder)
    events: list[dict[str, Any]] = []
    while True:
        more = reader.read()
        if not more:
            return events
        events += more


def finite_or_none(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value
