"""P3: training with the live probes at the default interval ÷ training without them.

The probes recompute gates, states and ∂L/∂h_t from the fused module's weights on a small probe
batch; training itself stays on the fused kernel. Both runs train the same design on the same data
with the same seed; each side's figure is the median over interleaved runs of its steps per second,
printed with the spread of the paired ratios. The default interval is the Trainer's own
(``TrainSettings.probe_every``).
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from engine.data import Task, get_task
from engine.document.templates import template
from engine.model.compiler import compile_design
from engine.training.trainer import Trainer, TrainSettings

from .harness import Row


class _StepClock:
    def __init__(self) -> None:
        self.times: list[float] = []

    def on_step(self, metrics: dict) -> None:
        self.times.append(time.perf_counter())


def _series_task(folder: Path) -> Task:
    """P1's small shape as a user's file would give it: a 64-column CSV time series, windows of 50 steps."""
    path = folder / "series.csv"
    if not path.exists():
        walk = np.random.default_rng(0).standard_normal((4200, 64)).cumsum(0) / 30.0
        np.savetxt(path, walk, delimiter=",", fmt="%.5f", header=",".join(f"x{i}" for i in range(64)), comments="")
    return get_task("csv_series", path=str(path), window=50, val_fraction=0.02)


def _seconds_per_step(probe_every: int, steps: int, device: torch.device, task: Task) -> float:
    design = template("many-to-one", cell="lstm", hidden_size=64, features=64)
    settings = TrainSettings(batch_size=32, steps=steps, probe_every=probe_every, probe_size=4, seed=0,
                             device=str(device), eval_every=10 * steps, lr=1e-3)
    clock = _StepClock()
    Trainer(compile_design(design), task, settings, design=design, callbacks=[clock]).run()
    t = clock.times
    return (t[-1] - t[0]) / (len(t) - 1)  # steps 2..N: every probe step included, start-up excluded


def p3(device: torch.device, quick: bool) -> list[Row]:
    every = TrainSettings().probe_every
    steps, rounds = (2 * every + 1, 3) if quick else (4 * every + 1, 7)
    with tempfile.TemporaryDirectory() as folder:
        task = _series_task(Path(folder))
        _seconds_per_step(every, every + 1, device, task)  # warm-up
        with_probe, without = [], []
        for i in range(rounds):
            for e, out in ((every, with_probe), (0, without)) if i % 2 == 0 else ((0, without), (every, with_probe)):
                out.append(_seconds_per_step(e, steps, device, task))
    a, b = statistics.median(with_probe), statistics.median(without)
    ratios = [w / n for w, n in zip(with_probe, without)]
    return [Row("P3", f"training with probes every {every} steps (the default) ÷ without "
                      f"(median of {rounds}, spread {min(ratios):.3f}–{max(ratios):.3f})",
                "CSV series T=50 B=32 F=H=64 LSTM", a / b, "≤ 1.03", a / b <= 1.03,
                detail={"with_ms": a * 1e3, "without_ms": b * 1e3, "ratios": ratios})]
