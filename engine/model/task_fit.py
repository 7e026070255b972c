"""Whether a design fits its task: the task's needs (input, decoder, head) against the design's nodes.

:func:`check_task_fit` is the task section of :func:`engine.model.check.check_design`: it reads
the task the design's ``metadata["task"]`` names and adds one :class:`Problem` per misfit, naming
the node and both numbers, with a :class:`Fix` where one parameter change mends it. A size too
small to train is an error; a vocabulary or class count larger than the task needs is a warning
(it trains, with parameters that are never used); a design with no task is a warning. Nothing
here imports torch: a task's needs come from its vocabularies, built without it.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine.data.base import Need, Task
from engine.errors import DataError
from engine.model.graph import check_graph
from engine.model.report import CheckReport, Fix, ParamChange, Problem

# how a parameter's size reads in a message, per block kind
_WHAT = {("token_input", "vocab_size"): "input tokens", ("class_input", "num_classes"): "input classes",
         ("sequence_input", "features"): "features per step", ("vector_input", "features"): "input features",
         ("decoder", "vocab_size"): "output tokens", ("classifier", "num_classes"): "classes",
         ("regressor", "outputs"): "outputs"}
NO_TASK = ("the design names no task: pick one in the training panel's Task list (or give "
           "`rnn-designer train` --task NAME)")


@dataclass(frozen=True)
class TaskNeeds:
    """What a task asks of a design, without the task's data."""

    name: str
    architecture: str
    needs: tuple[tuple[str, Need], ...]  # (role, need): role is "input", "decoder" or "head"

    @classmethod
    def of(cls, task: Task) -> TaskNeeds:
        needs = [("input", task.input_need), ("decoder", task.decoder_need), ("head", task.head_need)]
        return cls(task.name, task.architecture, tuple((r, n) for r, n in needs if n is not None))


def check_task_fit(design: Any, report: CheckReport) -> None:
    """Add the task-fit problems of ``design`` to ``report`` (the last section of ``check_design``)."""
    entry = design.metadata.get("task")
    if not entry:
        report.problems.append(Problem(NO_TASK, severity="warning", section="task"))
        return
    try:
        needs = _needs_for(_entry_key(entry))
    except DataError as exc:
        report.problems.append(Problem(f"the design's task cannot be used: {exc}", section="task"))
        return
    report.problems.extend(fit(needs, design, report))


def fit(needs: TaskNeeds, design: Any, report: CheckReport) -> list[Problem]:
    """The problems of ``design`` (already checked into ``report``) against ``needs``."""
    out: list[Problem] = []
    task = f'task "{needs.name}"'
    if report.architecture and report.architecture != needs.architecture:
        out.append(Problem(f"{task} is {needs.architecture}, but the design is {report.architecture}; build "
                           f"{_article(needs.architecture)} {needs.architecture} design or pick "
                           f"{_article(report.architecture)} {report.architecture} task",
                           report.head_node, section="task"))
    nodes = {"input": report.input_node, "decoder": report.decoder_node, "head": report.head_node}
    for role, need in needs.needs:
        node_id = nodes[role]
        if node_id is None:
            if role == "decoder" or report.architecture is not None:
                out.append(Problem(f"{task} needs {_role(role)}: {need.describe()}", section="task"))
            continue
        node = design.nodes[node_id]
        if node.kind != need.kind:
            out.append(Problem(f'node "{node_id}" is a {node.spec.title.lower()} ({node.kind}), but {task} needs '
                               f"{_role(role)}: {need.describe()}", node_id, section="task"))
            continue
        have = node.params.get(need.param)
        if have == need.size:
            continue
        what = _WHAT.get((need.kind, need.param), need.param)
        why = f" ({need.why})" if need.why else ""
        fix = _fix(design, report, node_id, need)
        head = f'node "{node_id}": {task} has {need.size} {what}{why}, {need.param} is {have}'
        if have < need.size or not need.at_least:
            out.append(Problem(f"{head}; set {need.param} to {need.size}", node_id, fix=fix, section="task"))
        else:
            out.append(Problem(f"{head}: {have - need.size} are never used; set {need.param} to {need.size} "
                               "to save their parameters", node_id, severity="warning", fix=fix, section="task"))
    return out


def fit_problems(task: Task, design: Any) -> list[str]:
    """Why ``design`` cannot be trained on ``task``: one sentence per error naming the node and
    parameter; empty when it fits (sizes larger than needed are not errors)."""
    report = check_graph(design)
    return [p.message for p in fit(TaskNeeds.of(task), design, report) if p.severity == "error"]


# ---------------------------------------------------------------------- helpers
def _fix(design: Any, report: CheckReport, node_id: str, need: Need) -> Fix:
    """Set the parameter to the task's size; the decoder and its classifier head move together
    when they were equal (they must stay equal)."""
    changes = [ParamChange(node_id, need.param, need.size)]
    dec, head = report.decoder_node, report.head_node
    pair = {dec: (head, "num_classes"), head: (dec, "vocab_size")} if dec and head else {}
    other = pair.get(node_id)
    if other is not None and other[0] in design.nodes:
        other_node = design.nodes[other[0]]
        if other_node.params.get(other[1]) == design.nodes[node_id].params.get(need.param):
            changes.append(ParamChange(other[0], other[1], need.size))
    label = f"set {need.param} to {need.size}" + (f" (and {changes[1].node_id}'s {changes[1].param})"
                                                 if len(changes) > 1 else "")
    return Fix(label, tuple(changes))


def _role(role: str) -> str:
    return {"input": "an input", "decoder": "a decoder", "head": "a head"}[role]


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _entry_key(entry: Any) -> str:
    """The cache key of a task entry: its JSON and, for a file, the file's size and time."""
    if not isinstance(entry, dict):
        return json.dumps(entry, default=str)
    stamp = None
    path = entry.get("path")
    if isinstance(path, str):
        try:
            st = os.stat(path)
            stamp = (st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = "missing"
    return json.dumps([entry, stamp], sort_keys=True, default=str)


@lru_cache(maxsize=64)
def _needs_for(key: str) -> TaskNeeds:
    """The needs of the task ``key`` names (building the task once per entry and file version)."""
    from engine.data import task_from_metadata

    raw = json.loads(key)
    entry = raw[0] if isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], dict) else raw
    try:
        return TaskNeeds.of(task_from_metadata(entry))
    except OSError as exc:
        raise DataError(f"{entry.get('path', 'the data file')}: {exc.strerror or exc}") from None
