"""What a run sends the window about one validation example at its end — plain text, torch-free,
so the window reads it without loading torch (:mod:`engine.training.samples` makes them)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SamplePrediction:
    """One validation example as the model sees it at the end of a run."""

    input: str
    target: str
    prediction: str
    correct: bool | None = None  # None: no right or wrong (regression)
