"""Measuring honestly: warm-up, interleaved repeats of baseline and candidate, medians, one table.

Every figure is a ratio of two things measured side by side in the same process, so the noise of
a shared machine hits both sides alike. Nothing here asserts a time; the table says whether a
target was met and the JSON keeps the raw medians.
"""
from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch


@dataclass
class Row:
    id: str
    figure: str
    shape: str
    value: float
    target: str
    met: bool | None
    unit: str = "×"
    detail: dict = field(default_factory=dict)

    def cells(self) -> list[str]:
        mark = "" if self.met is None else ("yes" if self.met else "MISSED")
        if self.unit == "×":
            value = f"{self.value:.3f}×"
        else:
            value = f"{self.value:.2f} {self.unit}" if self.unit == "s" else f"{self.value:.1f} {self.unit}"
        return [self.id, self.figure, self.shape, value, self.target, mark]


def paired_medians(a: Callable[[], object], b: Callable[[], object], repeats: int = 7, warmup: int = 2,
                   inner: int = 1) -> tuple[float, float]:
    """Median seconds of ``a`` and ``b`` (per call), measured alternately A B A B ... after warm-up."""
    for _ in range(warmup):
        a()
        b()
    ta, tb = [], []
    for i in range(repeats):
        for fn, out in ((a, ta), (b, tb)) if i % 2 == 0 else ((b, tb), (a, ta)):
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            sync()
            out.append((time.perf_counter() - t0) / inner)
    return statistics.median(ta), statistics.median(tb)


def median_time(fn: Callable[[], object], repeats: int = 7, warmup: int = 2, inner: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


_DEVICE = {"name": "cpu"}


def set_device(name: str) -> torch.device:
    _DEVICE["name"] = name
    return torch.device(name)


def sync() -> None:
    if _DEVICE["name"].startswith("cuda"):
        torch.cuda.synchronize()


def machine() -> dict:
    info = {"python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
            "device": _DEVICE["name"]}
    if _DEVICE["name"].startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def table(rows: list[Row]) -> str:
    head = ["#", "figure", "shape", "value", "target", "met"]
    body = [r.cells() for r in rows]
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    fmt = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([fmt(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [fmt(c) for c in body])


def write_results(rows: list[Row], path: Path, extra: dict | None = None) -> None:
    """Write ``rows`` to ``path``; the rows of other figures already there stay (``--only P6``
    replaces P6's rows and keeps the rest)."""
    fresh = {r.id for r in rows}
    try:
        kept = [r for r in json.loads(path.read_text()).get("rows", []) if r.get("id") not in fresh]
    except (OSError, ValueError, AttributeError):
        kept = []
    data = {"machine": machine(), "rows": kept + [asdict(r) for r in rows]}
    if extra:
        data.update(extra)
    path.write_text(json.dumps(data, indent=2) + "\n")
