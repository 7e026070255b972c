"""What the training form offers from the engine: the bundled tasks and the devices.

The devices need torch; the tasks need the task code (no torch, but numpy and every task
module). The form asks for them only when the user opens its lists — the window itself opens
without loading either.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class TaskEntry:
    name: str
    title: str
    architecture: str
    metric: str


@dataclass(frozen=True)
class DeviceEntry:
    name: str  # what TrainSettings.device takes: cpu, cuda:0, mps
    label: str


@lru_cache(maxsize=1)
def bundled_tasks() -> tuple[TaskEntry, ...]:
    from engine.data import BUNDLED, TASKS

    return tuple(TaskEntry(n, TASKS[n].title, TASKS[n].architecture, TASKS[n].main_metric) for n in BUNDLED)


@lru_cache(maxsize=1)
def devices() -> tuple[DeviceEntry, ...]:
    """The CPU, every CUDA device and Apple's MPS when present."""
    import torch

    found = [DeviceEntry("cpu", f"CPU ({os.cpu_count() or 1} cores)")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            found.append(DeviceEntry(f"cuda:{i}", f"CUDA {i}: {torch.cuda.get_device_name(i)}"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append(DeviceEntry("mps", "Apple GPU (MPS)"))
    return tuple(found)


def default_threads() -> int:
    """Torch threads for a run on the CPU: all cores but one, which stays with the window."""
    return max(1, (os.cpu_count() or 1) - 1)
