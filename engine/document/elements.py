"""What a design is made of — nodes, edges — and what its edits report: the events a design emits
and the record of a removal that undo puts back. :mod:`engine.document.design` edits them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.document.blocks import BLOCKS, BlockSpec


@dataclass
class Node:
    id: str
    kind: str
    params: dict[str, Any]
    position: tuple[float, float] = (0.0, 0.0)

    @property
    def spec(self) -> BlockSpec:
        return BLOCKS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "params": dict(self.params),
                "position": [float(self.position[0]), float(self.position[1])]}


@dataclass(frozen=True)
class Edge:
    source: str
    source_port: str
    target: str
    target_port: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": {"node": self.source, "port": self.source_port},
                "target": {"node": self.target, "port": self.target_port}}

    def __str__(self) -> str:
        return f"{self.source}.{self.source_port} → {self.target}.{self.target_port}"


@dataclass(frozen=True)
class Removal:
    """What :meth:`Design.remove_node` took away, with the places it stood, so undo is exact.

    Unpacks as ``node, edges = removal``."""

    node: Node
    edges: list[Edge]
    index: int  # the node's place in ``design.nodes``
    edge_indices: list[int]  # each edge's place in ``design.edges`` when it was removed, in removal order

    def __iter__(self):  # type: ignore[override]
        return iter((self.node, self.edges))


@dataclass(frozen=True)
class DesignEvent:
    """What changed. ``type`` is one of: node_added, node_removed, edge_added, edge_removed,
    param_changed, kind_changed, node_moved, metadata_changed, name_changed."""

    type: str
    node_id: str | None = None
    edge: Edge | None = None
    name: str | None = None  # the parameter or metadata key
    old: Any = None
    new: Any = None


Listener = Callable[[DesignEvent], None]


class _EdgeIndex:
    """A design's edges by target node and by source node, and as a set: every port and cycle
    question is then a dictionary look-up instead of a scan of all edges."""

    def __init__(self, edges: list[Edge]) -> None:
        self.edges, self.count = edges, 0
        self.into: dict[str, list[Edge]] = {}
        self.out: dict[str, list[Edge]] = {}
        self.edge_set: set[Edge] = set()
        for edge in edges:
            self.add(edge)

    def add(self, edge: Edge) -> None:
        self.into.setdefault(edge.target, []).append(edge)
        self.out.setdefault(edge.source, []).append(edge)
        self.edge_set.add(edge)
        self.count += 1

    def discard(self, edge: Edge) -> None:
        self.into[edge.target].remove(edge)
        self.out[edge.source].remove(edge)
        self.edge_set.discard(edge)
        self.count -= 1
