"""P3: training with the live probes every 10 steps ÷ training without them.

The probes recompute gates, states and ∂L/∂h_t from the fused module's weights on a small probe
batch; training itself stays on the fused kernel. Both runs train the same design on the same data
with the same seed; each side's figure is the median over interleaved runs of its steps per second.
"""
from __future__ import annotations

import statistics
import time

import torch

from engine.compiler import compile_design
from engine.data import get_task
from engine.templates import template
from engine.training import Trainer, TrainSettings

from .harness import Row


class _StepClock:
    def __init__(self) -> None:
        self.times: list[float] = []

    def on_step(self, metrics: dict) -> None:
        self.times.append(time.perf_counter())


def _seconds_per_step(probe_every: int, steps: int, device: torch.device) -> float:
    design = template("many-to-one", cell="lstm", hidden_size=64, seq_len=50)
    task = get_task("adding", seq_len=50, train_size=4096, val_size=64)
    settings = TrainSettings(batch_size=32, steps=steps, probe_every=probe_every, probe_size=4, seed=0,
                             device=str(device), eval_every=10 * steps, lr=1e-3)
    clock = _StepClock()
    Trainer(compile_design(design), task, settings, design=design, callbacks=[clock]).run()
    t = clock.times
    return (t[-1] - t[0]) / (len(t) - 1)  # steps 2..N: every probe step included, start-up excluded


def p3(device: torch.device, quick: bool) -> list[Row]:
    steps, rounds = (41, 3) if quick else (81, 5)
    _seconds_per_step(10, 11, device)  # warm-up
    with_probe, without = [], []
    for i in range(rounds):
        for every, out in ((10, with_probe), (0, without)) if i % 2 == 0 else ((0, without), (10, with_probe)):
            out.append(_seconds_per_step(every, steps, device))
    a, b = statistics.median(with_probe), statistics.median(without)
    return [Row("P3", "training with probes every 10 steps ÷ without", "adding T=50 B=32 F=2 H=64 LSTM",
                a / b, "≤ 1.05", a / b <= 1.05, detail={"with_ms": a * 1e3, "without_ms": b * 1e3})]
