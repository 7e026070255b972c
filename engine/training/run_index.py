"""What a folder of runs holds: one line per run, read from each run folder's event stream.

A run folder (see :mod:`engine.training.run`) says what it is in its stream's first event
(``begin``: design, cells, task, start time, process) and how it ended in its last (``end`` or
``failed``). :func:`summarize_run` reads just those two ends of the file — a long run's stream
is not read whole — and :func:`list_runs` lists a design's runs, newest first, for the window's
run history and for scripts.
"""
from __future__ import annotations

import json
import math
import os
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.training.events import EVENTS_FILE

TAIL_BYTES = 256 * 1024  # enough for the last few events of any run


@dataclass
class RunSummary:
    """One run, as the history lists it."""

    path: Path
    name: str  # the folder's name
    design_name: str = ""
    cells: list[str] = field(default_factory=list)
    task: str = ""
    started: float | None = None  # seconds since the epoch
    steps: int = 0
    metric: str | None = None  # the task's main metric
    value: float | None = None  # its last validation value
    status: str = "running"  # finished | stopped | early_stopped | time_limit | interrupted | failed | running | crashed
    world_size: int = 1

    @property
    def cell(self) -> str:
        return ", ".join(self.cells) or "—"


def _first_line(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as fh:
            line = fh.readline()
    except OSError:
        return None
    try:
        event = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return event if isinstance(event, dict) and event.get("type") == "begin" else None


def _last_events(path: Path) -> list[dict[str, Any]]:
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            fh.seek(max(0, size - TAIL_BYTES))
            data = fh.read()
    except OSError:
        return []
    lines = data.split(b"\n")
    if size > TAIL_BYTES:
        lines = lines[1:]  # the first is cut
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def _alive(begin: dict[str, Any]) -> bool:
    if begin.get("host") != socket.gethostname():
        return True  # another machine's run: it may well be going on
    try:
        os.kill(int(begin["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, KeyError, TypeError, ValueError):
        return True
    return True


_ENDED: dict[Path, tuple[int, int, RunSummary]] = {}  # an ended run's summary, by its stream's (size, mtime)


def summarize_run(folder: str | os.PathLike[str]) -> RunSummary | None:
    """The run in ``folder``; None when it holds no event stream. An ended run's summary is read
    once and kept while its stream is unchanged, so listing a folder of many runs stays quick."""
    folder = Path(folder)
    path = folder / EVENTS_FILE
    try:
        stat = path.stat()
    except OSError:
        return None
    cached = _ENDED.get(path)
    if cached is not None and cached[:2] == (stat.st_size, stat.st_mtime_ns):
        return replace(cached[2], cells=list(cached[2].cells))
    summary = _summarize(folder, path)
    if summary is not None and summary.status not in ("running", "crashed"):
        _ENDED[path] = (stat.st_size, stat.st_mtime_ns, replace(summary, cells=list(summary.cells)))
    return summary


def _summarize(folder: Path, path: Path) -> RunSummary | None:
    begin = _first_line(path)
    if begin is None:
        return None
    summary = RunSummary(folder, folder.name, str(begin.get("design_name", "")), list(begin.get("cells") or []),
                         str(begin.get("task", "")), begin.get("time"), int(begin.get("start_step") or 0),
                         begin.get("main_metric"), None, "running", int(begin.get("world_size") or 1))
    ended = False
    for event in _last_events(path):
        kind = event.get("type")
        if kind == "steps" and event.get("step"):
            summary.steps = int(event["step"][-1])
        elif kind == "validation" and summary.metric in (event.get("val") or {}):
            summary.value = _number(event["val"][summary.metric])
        elif kind == "end":
            result = event.get("result") or {}
            summary.status, ended = str(result.get("status", "finished")), True
            summary.steps = int(result.get("step", summary.steps))
            if summary.metric in (result.get("val") or {}):
                summary.value = _number(result["val"][summary.metric])
        elif kind == "failed":
            summary.status, ended = "failed", True
    if not ended and not _alive(begin):
        summary.status = "crashed"
    return summary


def _number(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def list_runs(root: str | os.PathLike[str], prefix: str = "") -> list[RunSummary]:
    """The runs in ``root`` whose folder names start with ``prefix``, newest first."""
    root = Path(root)
    try:
        folders = [p for p in root.iterdir() if p.is_dir() and p.name.startswith(prefix)]
    except OSError:
        return []
    runs = [s for s in (summarize_run(p) for p in folders) if s is not None]
    runs.sort(key=lambda s: (s.started or 0.0, s.name), reverse=True)
    return runs
