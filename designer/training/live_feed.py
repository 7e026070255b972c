"""The window's side of a run's event stream: what arrived since the last look, as numpy arrays.

A run — the window's own worker process, ``rnn-designer train`` in a terminal, rank 0 of a
torchrun job — appends its events to its run folder (:mod:`engine.training.events`, written at
most 30 times a second). :class:`LiveFeed` follows that folder: each :meth:`LiveFeed.poll` reads
the lines appended since the last one and folds them into one :class:`FeedBatch` — the
``begin`` event, one :class:`TrainingUpdate` of everything new (steps, validations, probe
summaries, the newest probe trace, loaded once however many probes passed) and the run's last
word (``end`` or ``failed``). The GUI keeps the history; an update carries only what is new.
No Qt here: the controller calls :meth:`poll` from a timer on the GUI thread.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.training.events import MAX_RATE_HZ, EventReader, ProbeKey, ProbeSummary, load_trace

__all__ = ["MAX_RATE_HZ", "FeedBatch", "LiveFeed", "ProbeKey", "ProbeSummary", "TrainingUpdate"]


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


@dataclass
class FeedBatch:
    """One poll's worth of a run's stream."""

    begin: dict[str, Any] | None = None
    update: TrainingUpdate | None = None
    end: dict[str, Any] | None = None  # the end event: result, samples, settings ...
    failed: dict[str, Any] | None = None  # the failed event: message, touched
    notes: list[str] = field(default_factory=list)

    @property
    def over(self) -> bool:
        return self.end is not None or self.failed is not None


class LiveFeed:
    """Follows the event stream of the run in ``folder`` (which may not exist yet)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.reader = EventReader(self.folder)
        self.begin: dict[str, Any] | None = None
        self.last_step = 0
        self.finished = False

    def poll(self) -> FeedBatch:
        """Everything appended since the last poll (an empty batch when nothing was)."""
        batch = FeedBatch()
        if self.finished:
            return batch
        steps: list[list[Any]] = [[], [], [], [], []]
        lr: float | None = None
        validations: list[tuple[int, int, dict[str, float]]] = []
        probes: list[ProbeSummary] = []
        trace_due = False
        for event in self.reader.read():
            kind = event.get("type")
            if kind == "begin":
                batch.begin = self.begin = event
            elif kind == "steps":
                for column, key in zip(steps, ("step", "loss", "grad_norm", "seconds", "epoch")):
                    column.extend(event.get(key) or [])
                lr = event.get("lr", lr)
            elif kind == "validation":
                validations.append((int(event["step"]), int(event["epoch"]), dict(event["val"])))
            elif kind == "probe":
                probes.append(ProbeSummary.from_json(event))
            elif kind == "trace":
                trace_due = True
            elif kind == "note":
                batch.notes.append(str(event.get("text", "")))
            elif kind == "end":
                batch.end = event
            elif kind == "failed":
                batch.failed = event
        trace = load_trace(self.folder) if trace_due else None
        update = TrainingUpdate(
            steps=np.asarray(steps[0], dtype=np.int64), losses=np.asarray(steps[1], dtype=np.float64),
            grad_norms=np.asarray(steps[2], dtype=np.float64), seconds=np.asarray(steps[3], dtype=np.float64),
            epochs=np.asarray(steps[4], dtype=np.int64), lr=None if lr is None else float(lr),
            validations=validations, probes=probes,
            trace=trace[1] if trace is not None else None, trace_step=trace[0] if trace is not None else None)
        if not update.empty:
            batch.update = update
            if len(update.steps):
                self.last_step = int(update.steps[-1])
        if batch.over:
            self.finished = True
        return batch
