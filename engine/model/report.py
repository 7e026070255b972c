"""What a check of a design finds: problems (each naming its node and port, with a fix when
there is one) and everything learned on the way — shapes, parameter counts, the architecture."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.document.blocks import Shape
from engine.document.design import Edge

ARCHITECTURES = ("one-to-many", "many-to-one", "many-to-many", "encoder-decoder")


@dataclass(frozen=True)
class ParamChange:
    """One parameter of one node set to a value: a step of a :class:`Fix`."""

    node_id: str
    param: str
    value: Any


@dataclass(frozen=True)
class Fix:
    """What the Problems list offers for a problem: ``label`` ("set vocab_size to 62") and the
    parameter changes that apply it (the window applies them as one undoable step)."""

    label: str
    changes: tuple[ParamChange, ...]


@dataclass(frozen=True)
class Problem:
    message: str
    node_id: str | None = None
    port: str | None = None
    severity: str = "error"  # "error" stops training; "warning" does not
    edge: Edge | None = None
    fix: Fix | None = None  # a change that makes the problem go away, when there is one
    section: str = "design"  # "design": the graph itself; "task": how it fits its task (engine.model.task_fit)

    def __str__(self) -> str:
        return self.message


@dataclass
class CheckReport:
    """Everything the checker learned about a design."""

    problems: list[Problem] = field(default_factory=list)
    shapes: dict[str, dict[str, Shape]] = field(default_factory=dict)  # node -> output port -> shape
    input_shapes: dict[str, dict[str, Shape]] = field(default_factory=dict)  # node -> input port -> shape
    param_counts: dict[str, int] = field(default_factory=dict)
    architecture: str | None = None
    order: list[str] = field(default_factory=list)
    input_node: str | None = None
    head_node: str | None = None
    decoder_node: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """No errors: the design can be trained on its task."""
        return not self.errors

    @property
    def compiles(self) -> bool:
        """No errors in the graph itself: it builds a model (whatever task it is then trained on)."""
        return not any(p.section == "design" for p in self.errors)

    @property
    def task_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.section == "task"]

    @property
    def total_params(self) -> int:
        return sum(self.param_counts.values())

    def edge_shape(self, edge: Edge) -> Shape | None:
        return self.shapes.get(edge.source, {}).get(edge.source_port)

    def problems_for(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node_id == node_id]
