"""Telling a run that learned from one that blew up while every number stayed finite.

A loss that turns NaN stops a run at once (the Trainer raises). A run can also diverge and stay
finite — Adam at lr 1e6 ends at a validation loss of 5.9e13 — and then it must not end quietly
as "finished": :class:`DivergenceWatch` keeps the first and the latest training losses and says,
in words, when the run ended far worse than it began.
"""
from __future__ import annotations

import math
from collections import deque

WINDOW = 20  # latest steps averaged
MIN_STEPS = 6  # fewer steps say nothing
RISE = 10.0  # the latest losses this many times the first ones: diverged


class DivergenceWatch:
    """Feed it every step's training loss; :meth:`warnings` says whether the run diverged.

    The yardstick is the first step's loss — the untrained model's, taken before any update —
    since a run that blows up in its first steps makes any average of them useless."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last: deque[float] = deque(maxlen=WINDOW)
        self.steps = 0

    def add(self, loss: float) -> None:
        self.steps += 1
        if self.first is None:
            self.first = loss
        self.last.append(loss)

    def diverged(self) -> tuple[float, float] | None:
        """(the first loss, the mean of the latest) when the run got far worse; else None."""
        if self.first is None or self.steps < MIN_STEPS:
            return None
        recent = list(self.last)[-max(1, min(WINDOW, self.steps // 2)):]
        end = sum(recent) / len(recent)
        if end > RISE * abs(self.first) + 1e-6:
            return self.first, end
        return None

    def warnings(self, val: dict[str, float], lr: float) -> list[str]:
        """Plain-words warnings for the run's summary (empty when it went as it should)."""
        out = []
        rise = self.diverged()
        if rise is not None:
            out.append(f"the run diverged: the training loss rose from {rise[0]:.4g} (the first step) to "
                       f"{rise[1]:.4g} (the latest steps); lower the learning rate (now {lr:g}) or clip gradients, "
                       "and train again from the start")
        bad = [k for k, v in val.items() if not math.isfinite(v)]
        if bad:
            out.append(f"the last validation gave {', '.join(f'{k} {val[k]}' for k in bad)}: the model diverged; "
                       "the checkpoint kept as latest is the last one with finite metrics")
        return out
