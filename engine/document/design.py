"""The design document: an RNN model as a graph of blocks, the single source of truth.

A :class:`Design` changes only through pairs of opposite methods — ``add_node``/``remove_node``,
``connect``/``disconnect``, ``set_param``, ``change_kind``, ``move_node``, ``set_metadata`` — which validate and
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
import math
import re
from dataclasses import dataclass, field
from typing import Any

from engine.document.blocks import BLOCKS, block, port_types_compatible
from engine.document.elements import DesignEvent, Edge, Listener, Node, Removal, _EdgeIndex
from engine.errors import DesignError

FORMAT_VERSION = 1
FILE_SUFFIX = ".rnnd"
MAX_NUMBER = 2**63  # no parameter of any block comes near; beyond it a number is a mistake (or an attack)
MAX_POSITION = 1e9  # canvas coordinates
__all__ = ["FILE_SUFFIX", "FORMAT_VERSION", "Design", "DesignEvent", "Edge", "Listener", "Node", "Removal"]
_ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")  # with match(): the whole id, no trailing newline


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

    def _index(self) -> _EdgeIndex:
        """The edges by node, rebuilt when ``edges`` was changed behind the paired methods' back."""
        index = self.__dict__.get("_edge_index")
        if index is None or index.edges is not self.edges or index.count != len(self.edges):
            index = _EdgeIndex(self.edges)
            self.__dict__["_edge_index"] = index
        return index

    def edges_of(self, node_id: str) -> list[Edge]:
        index = self._index()
        mine = set(index.into.get(node_id, ())) | set(index.out.get(node_id, ()))
        return [e for e in self.edges if e in mine] if mine else []

    def incoming(self, node_id: str, port: str | None = None) -> list[Edge]:
        edges = self._index().into.get(node_id, [])
        return [e for e in edges if port is None or e.target_port == port]

    def outgoing(self, node_id: str, port: str | None = None) -> list[Edge]:
        edges = self._index().out.get(node_id, [])
        return [e for e in edges if port is None or e.source_port == port]

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
        if not isinstance(node_id, str) or not _ID_RE.match(node_id):
            raise DesignError(f'node id {node_id!r} must start with a letter and hold only letters, digits, _ and -')
        if node_id in self.nodes:
            raise DesignError(f'a node "{node_id}" already exists; choose another id')
        values = block(kind).defaults()
        for name, value in (params or {}).items():
            values[name] = _validated(kind, node_id, name, value)
        node = Node(node_id, kind, values, _position(node_id, position))
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
                index: int | None = None, *, cycles: bool = True) -> Edge:
        """Wire an output port to an input port (``index``: the edge's place, default last).

        ``cycles=False`` skips the cycle search; the caller then checks the whole graph once
        (:meth:`find_cycle`), as loading a file does — linear instead of quadratic in its size."""
        edge = Edge(source, source_port, target, target_port)
        reason = self.connection_problem(edge, cycles=cycles)
        if reason:
            raise DesignError(reason)
        edge_index = self._index()
        if index is None:
            self.edges.append(edge)
            edge_index.add(edge)
        else:
            self.edges.insert(index, edge)
            self.__dict__.pop("_edge_index", None)  # per-node order follows the list: rebuild
        self._emit(DesignEvent("edge_added", edge=edge))
        return edge

    def find_cycle(self) -> list[Edge]:
        """The edges of one cycle among the blocks (in order), or [] when there is none."""
        out = self._index().out
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        for root in self.nodes:
            if root in state:
                continue
            path: list[Edge] = []
            stack = [(root, iter(out.get(root, ())))]
            state[root] = 1
            while stack:
                node, children = stack[-1]
                edge = next(children, None)
                if edge is None:
                    state[node] = 2
                    stack.pop()
                    if path:
                        path.pop()
                    continue
                seen = state.get(edge.target)
                if seen == 1:
                    start = next((i for i, e in enumerate(path) if e.source == edge.target), len(path))
                    return path[start:] + [edge]
                if seen is None:
                    state[edge.target] = 1
                    path.append(edge)
                    stack.append((edge.target, iter(out.get(edge.target, ()))))
        return []

    def connection_problem(self, edge: Edge, *, cycles: bool = True) -> str | None:
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
        if edge in self._index().edge_set:
            return f"{edge} is already connected"
        if self.incoming(edge.target, edge.target_port):
            other = self.incoming(edge.target, edge.target_port)[0]
            return (f'node "{dst.id}" port "{edge.target_port}" is already fed by "{other.source}"; '
                    "disconnect that edge first")
        if not port_types_compatible(out.accepts, inp.accepts):
            return (f'node "{dst.id}" port "{edge.target_port}" takes {" or ".join(inp.accepts)}, '
                    f'but "{src.id}" port "{edge.source_port}" gives {" or ".join(out.accepts)}')
        if cycles and self._reaches(edge.target, edge.source):
            return (f'connecting "{src.id}" to "{dst.id}" would make a cycle; '
                    "recurrence lives inside a cell, not between blocks")
        return None

    def _reaches(self, start: str, goal: str) -> bool:
        out = self._index().out
        seen, stack = set(), [start]
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            if n not in seen:
                seen.add(n)
                stack.extend(e.target for e in out.get(n, ()))
        return False

    def disconnect(self, edge: Edge) -> Edge:
        edge_index = self._index()
        if edge not in edge_index.edge_set:
            raise DesignError(f"{edge} is not connected")
        self.edges.remove(edge)
        edge_index.discard(edge)
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

    def change_kind(self, node_id: str, kind: str, params: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Make a block another kind in place (a cell's kind, say): same id, position and wires.

        The new kind keeps every parameter both kinds have (hidden size, layers...), the rest start
        at their defaults, and ``params`` overrides both. Returns the old kind and parameters: pass
        them back to undo exactly. Raises :class:`DesignError` when a wire would lose its port."""
        node = self.node(node_id)
        if kind not in BLOCKS:
            raise DesignError(f"unknown block kind {kind!r}; known kinds: {', '.join(BLOCKS)}")
        spec = BLOCKS[kind]
        for edge in self.edges_of(node_id):
            mine = edge.target_port if edge.target == node_id else edge.source_port
            port = spec.input_port(mine) if edge.target == node_id else spec.output_port(mine)
            if port is None:
                raise DesignError(f'node "{node_id}" cannot become a {spec.title}: it has no port "{mine}" '
                                  f"for the wire {edge}; remove that wire first")
        values = spec.defaults()
        for name, value in node.params.items():
            if name in values:
                try:
                    values[name] = spec.param(name).validate(value)
                except ValueError:
                    pass  # not a value the new kind takes: its default instead
        for name, value in (params or {}).items():
            values[name] = _validated(kind, node_id, name, value)
        old = (node.kind, dict(node.params))
        if (kind, values) != old:
            node.kind, node.params = kind, values
            self._emit(DesignEvent("kind_changed", node_id=node_id, old=old[0], new=kind))
        return old

    def move_node(self, node_id: str, position: tuple[float, float]) -> tuple[float, float]:
        """Move a node on the canvas; returns the old position."""
        node = self.node(node_id)
        old = node.position
        new = _position(node_id, position)
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
        """A hash of what determines the model's weights: kinds, params and edges (not positions).

        A parameter marked ``hashed_at_default=False`` (one added later, such as a decoder's
        ``attention``) counts only when set away from its default, so older checkpoints still match."""
        def hashed(node: Node) -> list[tuple[str, Any]]:
            specs = {p.name: p for p in node.spec.params}
            return sorted((k, v) for k, v in node.params.items()
                          if k not in specs or specs[k].hashed_at_default or v != specs[k].default)

        d = {"nodes": sorted((n.id, n.kind, hashed(n)) for n in self.nodes.values()),
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
    if isinstance(value, float) and not math.isfinite(value):
        raise DesignError(f'node "{node_id}" parameter "{name}": expected a finite number, got {value!r}')
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise DesignError(f'node "{node_id}" parameter "{name}": {str(value)[:12]}... is far too large a number')
    try:
        return param.validate(value)
    except (ValueError, OverflowError) as exc:
        raise DesignError(f'node "{node_id}" parameter "{name}": {exc}') from None


def _position(node_id: str, position: Any) -> tuple[float, float]:
    """``position`` as two finite floats, or a :class:`DesignError` naming the node."""
    try:
        x, y = (float(v) for v in position)
    except (TypeError, ValueError, OverflowError):
        raise DesignError(f'node "{node_id}" position: expected [x, y] numbers, got {position!r}') from None
    if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > MAX_POSITION:
        raise DesignError(f'node "{node_id}" position: expected finite numbers within ±{MAX_POSITION:g}, got {position!r}')
    return x, y
