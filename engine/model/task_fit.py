"""Whether a design fits its task: the task's needs (input, decoder, head) against the design's nodes."""
from __future__ import annotations

from typing import Any

from engine.data.base import Need, Task
from engine.model.graph import check_design


def fit_problems(task: Task, design: Any) -> list[str]:
    """Why ``design`` cannot be trained on ``task``, one plain sentence per problem naming the node
    and parameter; empty when it fits."""
    report = check_design(design)
    out: list[str] = []
    if report.architecture and report.architecture != task.architecture:
        out.append(f'task "{task.name}" is {task.architecture}, but the design is {report.architecture}')

    def check(node_id: str | None, need: Need | None, role: str) -> None:
        if need is None:
            return
        if node_id is None:
            out.append(f'task "{task.name}" needs {role}: {need.describe()}')
            return
        node = design.nodes[node_id]
        if node.kind != need.kind:
            out.append(f'node "{node_id}" is a {node.spec.title.lower()} ({node.kind}), but task "{task.name}" '
                       f"needs {role}: {need.describe()}")
            return
        have = node.params.get(need.param)
        ok = have >= need.size if need.at_least else have == need.size
        if not ok:
            why = f" ({need.why})" if need.why else ""
            bound = "at least " if need.at_least else ""
            out.append(f'node "{node_id}" parameter "{need.param}" is {have}, but task "{task.name}" needs '
                       f"{bound}{need.size}{why}; set it to {need.size}")

    check(report.input_node, task.input_need, "an input")
    check(report.decoder_node, task.decoder_need, "a decoder")
    check(report.head_node, task.head_need, "a head")
    return out
