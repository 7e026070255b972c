"""The design document: an RNN model as a graph of blocks, the single source of truth.

A :class:`Design` changes only through pairs of opposite methods — ``add_node``/``remove_node``,
``connect``/``disconnect``, ``set_param``, ``move_node``, ``set_metadata`` — which validate and
then emit a plain :class:`DesignEvent` to every subscriber. Undo/redo in the window is built on
these pairs; scene items appear and disappear by listening to the events.

On disk a design is JSON (extension ``.rnnd``, read and written by ``engine.document.design_file``) with a
``format_version``; older files are brought
forward by one ``migrate_vN_to_vN1`` function per format change (see ``MIGRATIONS``).
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.document.blocks import BLOCKS, BlockSpec, block, port_types_compatible
from engine.errors import DesignError

FORMAT_VERSION = 1
FILE_SUFFIX = ".rnnd"
_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


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
    param_changed, node_moved, metadata_changed, name_changed."""

    type: str
    node_id: str | None = None
    edge: Edge | None = None
    name: str | None = None  # the parameter or metadata key
    old: Any = None
    new: Any = None


Listener = Callable[[DesignEvent], None]


@dataclass
class Design:
    name: str = "untitled"
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        self._listeners: list[Listener] = []

    # ------------------------------------------------------------------ events
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: DesignEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # ------------------------------------------------------------------ queries
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise DesignError(f'no node "{node_id}" in design "{self.name}"') from None

    def edges_of(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if node_id in (e.source, e.target)]

    def incoming(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.target == node_id and (port is None or e.target_port == port)]

    def outgoing(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id and (port is None or e.source_port == port)]

    def new_id(self, kind: str) -> str:
        """A fresh id such as ``lstm_2``."""
        n = 1
        while f"{kind}_{n}" in self.nodes:
            n += 1
        return f"{kind}_{n}"

    # ------------------------------------------------------------------ paired edits
    def add_node(self, kind: str, params: dict[str, Any] | None = None,
                 position: tuple[float, float] = (0.0, 0.0), node_id: str | None = None,
                 index: int | None = None) -> Node:
        """Add a block (``index``: its place among the nodes, default last); returns the new node."""
        if kind not in BLOCKS:
            raise DesignError(f"unknown block kind {kind!r}; known kinds: {', '.join(BLOCKS)}")
        node_id = node_id or self.new_id(kind)
        if not _ID_RE.match(node_id):
            raise DesignError(f'node id "{node_id}" must start with a letter and hold only letters, digits, _ and -')
        if node_id in self.nodes:
            raise DesignError(f'a node "{node_id}" already exists; choose another id')
        values = block(kind).defaults()
        for name, value in (params or {}).items():
            values[name] = _validated(kind, node_id, name, value)
        node = Node(node_id, kind, values, (float(position[0]), float(position[1])))
        if index is None or index >= len(self.nodes):
            self.nodes[node_id] = node
        else:
            items = list(self.nodes.items())
            items.insert(index, (node_id, node))
            self.nodes.clear()
            self.nodes.update(items)
        self._emit(DesignEvent("node_added", node_id=node_id))
        return node

    def remove_node(self, node_id: str) -> Removal:
        """Remove a node and its edges; the :class:`Removal` lets :meth:`restore_node` undo it exactly."""
        node = self.node(node_id)
        removed = self.edges_of(node_id)
        indices = []
        for edge in removed:
            indices.append(self.edges.index(edge))
            self.disconnect(edge)
        index = list(self.nodes).index(node_id)
        del self.nodes[node_id]
        self._emit(DesignEvent("node_removed", node_id=node_id, old=node))
        return Removal(node, removed, index, indices)

    def restore_node(self, node: Node | Removal, edges: list[Edge] = ()) -> None:
        """The exact inverse of :meth:`remove_node`: same id, params, position and edges — and, given
        the :class:`Removal`, the same places in ``nodes`` and ``edges``."""
        if isinstance(node, Removal):
            removal = node
            self.add_node(removal.node.kind, dict(removal.node.params), removal.node.position, removal.node.id,
                          index=removal.index)
            for edge, i in reversed(list(zip(removal.edges, removal.edge_indices))):
                self.connect(edge.source, edge.source_port, edge.target, edge.target_port, index=i)
            return
        self.add_node(node.kind, dict(node.params), node.position, node.id)
        for edge in edges:
            self.connect(edge.source, edge.source_port, edge.target, edge.target_port)

    def connect(self, source: str, source_port: str, target: str, target_port: str,
                index: int | None = None) -> Edge:
        """Wire an output port to an input port (``index``: the edge's place, default last)."""
        edge = Edge(source, source_port, target, target_port)
        reason = self.connection_problem(edge)
        if reason:
            raise DesignError(reason)
        if index is None:
            self.edges.append(edge)
        else:
            self.edges.insert(index, edge)
        self._emit(DesignEvent("edge_added", edge=edge))
        return edge

    def connection_problem(self, edge: Edge) -> str | None:
        """Why ``edge`` cannot be added, in plain words, or None when it can."""
        if edge.source not in self.nodes:
            return f'no node "{edge.source}" to connect from'
        if edge.target not in self.nodes:
            return f'no node "{edge.target}" to connect to'
        src, dst = self.nodes[edge.source], self.nodes[edge.target]
        out = src.spec.output_port(edge.source_port)
        inp = dst.spec.input_port(edge.target_port)
        if out is None:
            names = ", ".join(p.name for p in src.spec.outputs) or "none"
            return f'node "{src.id}" has no output port "{edge.source_port}" (its outputs: {names})'
        if inp is None:
            names = ", ".join(p.name for p in dst.spec.inputs) or "none"
            return f'node "{dst.id}" has no input port "{edge.target_port}" (its inputs: {names})'
        if edge.source == edge.target:
            return f'node "{src.id}" cannot feed itself; recurrence lives inside a cell'
        if edge in self.edges:
            return f"{edge} is already connected"
        if self.incoming(edge.target, edge.target_port):
            other = self.incoming(edge.target, edge.target_port)[0]
            return (f'node "{dst.id}" port "{edge.target_port}" is already fed by "{other.source}"; '
                    "disconnect that edge first")
        if not port_types_compatible(out.accepts, inp.accepts):
            return (f'node "{dst.id}" port "{edge.target_port}" takes {" or ".join(inp.accepts)}, '
                    f'but "{src.id}" port "{edge.source_port}" gives {" or ".join(out.accepts)}')
        if self._reaches(edge.target, edge.source):
            return (f'connecting "{src.id}" to "{dst.id}" would make a cycle; '
                    "recurrence lives inside a cell, not between blocks")
        return None

    def _reaches(self, start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            if n not in seen:
                seen.add(n)
                stack.extend(e.target for e in self.outgoing(n))
        return False

    def disconnect(self, edge: Edge) -> Edge:
        if edge not in self.edges:
            raise DesignError(f"{edge} is not connected")
        self.edges.remove(edge)
        self._emit(DesignEvent("edge_removed", edge=edge))
        return edge

    def set_param(self, node_id: str, name: str, value: Any) -> Any:
        """Set one parameter; returns the old value (pass it back to undo)."""
        node = self.node(node_id)
        value = _validated(node.kind, node_id, name, value)
        old = node.params[name]
        if old != value:
            node.params[name] = value
            self._emit(DesignEvent("param_changed", node_id=node_id, name=name, old=old, new=value))
        return old

    def move_node(self, node_id: str, position: tuple[float, float]) -> tuple[float, float]:
        """Move a node on the canvas; returns the old position."""
        node = self.node(node_id)
        old = node.position
        new = (float(position[0]), float(position[1]))
        if new != old:
            node.position = new
            self._emit(DesignEvent("node_moved", node_id=node_id, old=old, new=new))
        return old

    def set_metadata(self, key: str, value: Any) -> Any:
        """Set a metadata entry (``task``, ``training``, ``description``...); None deletes it."""
        old = self.metadata.get(key)
        if value is None:
            self.metadata.pop(key, None)
        else:
            json.dumps(value)  # metadata must stay JSON
            self.metadata[key] = copy.deepcopy(value)
        if old != value:
            self._emit(DesignEvent("metadata_changed", name=key, old=old, new=value))
        return old

    def set_name(self, name: str) -> str:
        old, self.name = self.name, name
        if old != name:
            self._emit(DesignEvent("name_changed", old=old, new=name))
        return old

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "edges": [e.to_dict() for e in self.edges],
            "metadata": copy.deepcopy(self.metadata),
        }

    def structure_hash(self) -> str:
        """A hash of what determines the model's weights: kinds, params and edges (not positions)."""
        d = {"nodes": sorted((n.id, n.kind, sorted(n.params.items())) for n in self.nodes.values()),
             "edges": sorted(json.dumps(e.to_dict(), sort_keys=True) for e in self.edges)}
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def copy(self) -> Design:
        """An independent design with the same nodes, edges and metadata (no subscribers)."""
        twin = Design(name=self.name, metadata=copy.deepcopy(self.metadata), format_version=self.format_version)
        twin.nodes = {k: Node(n.id, n.kind, copy.deepcopy(n.params), tuple(n.position))  # type: ignore[arg-type]
                      for k, n in self.nodes.items()}
        twin.edges = list(self.edges)
        return twin


def _validated(kind: str, node_id: str, name: str, value: Any) -> Any:
    spec = BLOCKS[kind]
    try:
        param = spec.param(name)
    except KeyError:
        known = ", ".join(p.name for p in spec.params) or "none"
        raise DesignError(f'node "{node_id}" ({spec.title}) has no parameter "{name}" (its parameters: {known})') from None
    try:
        return param.validate(value)
    except ValueError as exc:
        raise DesignError(f'node "{node_id}" parameter "{name}": {exc}') from None
