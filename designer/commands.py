"""Undo/redo: one ``QUndoCommand`` per user action, each only calling the design's paired methods.

Commands never touch scene items: the canvas, the inspector and the problems list follow the
design's events. Every command ends its ``redo``/``undo`` with ``document.after_edit()`` so the
engine's checks run once per action.

Undoing a removal puts nodes and edges back at their old places in the document's order too, so an
undone document's ``to_dict()`` equals the one before, byte for byte (the order is what a saved file
and a seeded model initialisation see).
"""
from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from PySide6.QtGui import QUndoCommand

from engine.document.blocks import BLOCKS
from engine.document.design import Design, Edge, Removal

from .document import DesignDocument

# ids for QUndoCommand.mergeWith: consecutive edits of one parameter merge into one step
MERGE_SET_PARAM = 1
MERGE_SET_NAME = 2


class DesignCommand(QUndoCommand):
    """Base: keeps the document and re-runs the checks after each step.

    ``changes_model``: whether the command changes what the model is (blocks, wires, parameters);
    such commands are refused while the document is locked (:meth:`DesignDocument.set_editable`).
    Subclasses that only change the layout or the file's labels set it to False."""

    changes_model = True

    def __init__(self, document: DesignDocument, text: str) -> None:
        super().__init__(text)
        self.document = document

    @property
    def design(self) -> Design:
        return self.document.design

    def redo(self) -> None:
        self._redo()
        self.document.after_edit()

    def undo(self) -> None:
        self._undo()
        self.document.after_edit()

    def _redo(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _undo(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class AddNode(DesignCommand):
    """Add one block (a palette drop, a quick-add, a double-click)."""

    def __init__(self, document: DesignDocument, kind: str, position: tuple[float, float],
                 params: dict[str, Any] | None = None, node_id: str | None = None) -> None:
        super().__init__(document, f"Add {BLOCKS[kind].title}")
        self.kind = kind
        self.position = (float(position[0]), float(position[1]))
        self.params = dict(params or {})
        self.node_id = node_id or document.design.new_id(kind)

    def _redo(self) -> None:
        self.design.add_node(self.kind, self.params, self.position, self.node_id)

    def _undo(self) -> None:
        self.design.remove_node(self.node_id)


class RemoveItems(DesignCommand):
    """Delete a selection: some edges and some nodes (with their edges), as one step."""

    def __init__(self, document: DesignDocument, node_ids: Iterable[str], edges: Iterable[Edge] = (),
                 text: str | None = None) -> None:
        self.node_ids = [n for n in document.design.nodes if n in set(node_ids)]
        gone = set(self.node_ids)  # edges of removed nodes go with them
        self.edges = [e for e in document.design.edges if e in set(edges) and not {e.source, e.target} & gone]
        if text is None:
            if len(self.node_ids) == 1 and not self.edges:
                text = f"Delete {document.design.nodes[self.node_ids[0]].spec.title}"
            elif not self.node_ids and len(self.edges) == 1:
                text = "Delete connection"
            else:
                parts = []
                if self.node_ids:
                    parts.append(f"{len(self.node_ids)} block{'s' * (len(self.node_ids) != 1)}")
                if self.edges:
                    parts.append(f"{len(self.edges)} connection{'s' * (len(self.edges) != 1)}")
                text = "Delete " + " and ".join(parts)
        super().__init__(document, text)
        self._removed: list[Removal] = []
        self._edge_indices: list[int] = []

    def _redo(self) -> None:
        self._removed, self._edge_indices = [], []
        for edge in self.edges:
            self._edge_indices.append(self.design.edges.index(edge))
            self.design.disconnect(edge)
        for node_id in self.node_ids:
            self._removed.append(self.design.remove_node(node_id))

    def _undo(self) -> None:  # exactly the reverse order, each back in its place
        for removal in reversed(self._removed):
            self.design.restore_node(removal)
        for edge, i in reversed(list(zip(self.edges, self._edge_indices))):
            self.design.connect(edge.source, edge.source_port, edge.target, edge.target_port, index=i)


class Connect(DesignCommand):
    def __init__(self, document: DesignDocument, edge: Edge) -> None:
        super().__init__(document, f"Connect {edge.source} → {edge.target}")
        self.edge = edge

    def _redo(self) -> None:
        e = self.edge
        self.design.connect(e.source, e.source_port, e.target, e.target_port)

    def _undo(self) -> None:
        self.design.disconnect(self.edge)


def connection_plan(design: Design, edge: Edge) -> tuple[Edge | None, str | None]:
    """What dropping a wire ``edge`` does: ``(the wire it replaces or None, why it cannot or None)``.

    An input takes one wire; a wire dropped on an input that is already fed replaces that wire,
    provided the new one is otherwise valid (port types, no cycle, not the same wire again)."""
    fed = design.incoming(edge.target, edge.target_port) if edge.target in design.nodes else []
    if not fed or edge in design.edges:
        return None, design.connection_problem(edge)
    scratch = design.copy()  # the check without the old wire, on a copy: no events, nothing changes
    scratch.disconnect(fed[0])
    return fed[0], scratch.connection_problem(edge)


class ReplaceConnection(DesignCommand):
    """Rewire an input that is already fed: the old wire goes, the new one takes its place (one step)."""

    def __init__(self, document: DesignDocument, old: Edge, new: Edge) -> None:
        super().__init__(document, f"Replace {old.source} → {old.target} with {new.source} → {new.target}")
        self.old, self.new = old, new
        self._index = 0

    def _redo(self) -> None:
        self._index = self.design.edges.index(self.old)  # the new wire takes the old one's place in the file
        self.design.disconnect(self.old)
        n = self.new
        self.design.connect(n.source, n.source_port, n.target, n.target_port, index=self._index)

    def _undo(self) -> None:
        self.design.disconnect(self.new)
        o = self.old
        self.design.connect(o.source, o.source_port, o.target, o.target_port, index=self._index)


class SetParam(DesignCommand):
    """Change one parameter; consecutive changes of the same parameter merge into one step."""

    def __init__(self, document: DesignDocument, node_id: str, name: str, value: Any) -> None:
        node = document.design.node(node_id)
        title = node.spec.param(name).title
        super().__init__(document, f"Set {node_id} {title.lower()} to {value}")
        self.node_id, self.name, self.value = node_id, name, value
        self.old = node.params[name]

    def id(self) -> int:  # noqa: A003 - QUndoCommand API
        return MERGE_SET_PARAM

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt API
        if not isinstance(other, SetParam) or (other.node_id, other.name) != (self.node_id, self.name):
            return False
        self.value = other.value
        self.setText(other.text())
        if self.value == self.old:
            self.setObsolete(True)
        return True

    def _redo(self) -> None:
        self.design.set_param(self.node_id, self.name, self.value)

    def _undo(self) -> None:
        self.design.set_param(self.node_id, self.name, self.old)


class MoveNodes(DesignCommand):
    """Move one or several nodes: a whole drag of a selection is one step."""

    changes_model = False  # positions do not change the model

    def __init__(self, document: DesignDocument, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]]) -> None:
        n = len(moves)
        super().__init__(document, f"Move {next(iter(moves))}" if n == 1 else f"Move {n} blocks")
        self.moves = {k: ((float(a[0]), float(a[1])), (float(b[0]), float(b[1]))) for k, (a, b) in moves.items()}

    def _redo(self) -> None:
        for node_id, (_, new) in self.moves.items():
            self.design.move_node(node_id, new)

    def _undo(self) -> None:
        for node_id, (old, _) in self.moves.items():
            self.design.move_node(node_id, old)


class AddItems(DesignCommand):
    """Add several nodes and the edges among them at once: paste and duplicate."""

    def __init__(self, document: DesignDocument, nodes: list[dict[str, Any]], edges: list[Edge],
                 text: str = "Paste") -> None:
        super().__init__(document, text)
        self.nodes = [dict(n) for n in nodes]  # {"id", "kind", "params", "position"}
        self.edges = list(edges)

    @property
    def node_ids(self) -> list[str]:
        return [n["id"] for n in self.nodes]

    def _redo(self) -> None:
        for n in self.nodes:
            self.design.add_node(n["kind"], n["params"], tuple(n["position"]), n["id"])
        for e in self.edges:
            self.design.connect(e.source, e.source_port, e.target, e.target_port)

    def _undo(self) -> None:
        for n in reversed(self.nodes):
            self.design.remove_node(n["id"])


class SetName(DesignCommand):
    changes_model = False  # the design's name is a label

    def __init__(self, document: DesignDocument, name: str) -> None:
        super().__init__(document, f"Rename design to {name}")
        self.name, self.old = name, document.design.name

    def id(self) -> int:  # noqa: A003
        return MERGE_SET_NAME

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, SetName):
            return False
        self.name = other.name
        self.setText(other.text())
        if self.name == self.old:
            self.setObsolete(True)
        return True

    def _redo(self) -> None:
        self.design.set_name(self.name)

    def _undo(self) -> None:
        self.design.set_name(self.old)


class SetMetadata(DesignCommand):
    changes_model = False  # notes and settings saved with the design; a run works on its own copy

    def __init__(self, document: DesignDocument, key: str, value: Any, text: str | None = None) -> None:
        super().__init__(document, text or f"Set {key}")
        self.key, self.value = key, value
        self.old = document.design.metadata.get(key)
        self._order: list[str] = []

    def _redo(self) -> None:
        self._order = list(self.design.metadata)
        self.design.set_metadata(self.key, self.value)

    def _undo(self) -> None:
        self.design.set_metadata(self.key, self.old)
        # keep the metadata's key order, so to_dict() is exactly as before
        rank = {k: i for i, k in enumerate(self._order)}
        items = sorted(self.design.metadata.items(), key=lambda kv: rank.get(kv[0], len(rank)))
        self.design.metadata.clear()
        self.design.metadata.update(items)



class ChangeCell(DesignCommand):
    """Make a recurrent block another cell kind in place, as one step: it keeps its id, position,
    wires and every parameter the two cells share (hidden size, layers, bidirectional, dropout)."""

    def __init__(self, document: DesignDocument, node_id: str, kind: str) -> None:
        node = document.design.node(node_id)
        super().__init__(document, f"Change {node_id} from {node.spec.title} to {BLOCKS[kind].title}")
        self.node_id, self.kind = node_id, kind
        self.old_kind, self.old_params = node.kind, dict(node.params)

    def _redo(self) -> None:
        self.design.change_kind(self.node_id, self.kind)

    def _undo(self) -> None:
        self.design.change_kind(self.node_id, self.old_kind, self.old_params)

def fresh_ids(design: Design, kinds: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """New ids for several nodes at once (``lstm_2``, ``lstm_3``...), none clashing with the design."""
    used = set(design.nodes) | set(taken)
    out = []
    for kind in kinds:
        n = 1
        while f"{kind}_{n}" in used:
            n += 1
        used.add(f"{kind}_{n}")
        out.append(f"{kind}_{n}")
    return out


# ---------------------------------------------------------------------- the experiment: task and training
MERGE_SET_TRAINING = 40  # consecutive edits of one training setting merge into one step


class SetMetadataEntries(DesignCommand):
    """Set several metadata entries (``task``, ``training`` ...) as one step; None deletes one.

    Undo puts back the old values in the metadata's old key order, so ``to_dict()`` is as before."""

    changes_model = False  # settings saved with the design; a run works on its own copy

    def __init__(self, document: DesignDocument, entries: dict[str, Any], text: str) -> None:
        super().__init__(document, text)
        self.entries = {k: copy.deepcopy(v) for k, v in entries.items()}
        self.old = {k: copy.deepcopy(document.design.metadata.get(k)) for k in entries}
        self._order: list[str] = []

    def _redo(self) -> None:
        self._order = list(self.design.metadata)
        for key, value in self.entries.items():
            self.design.set_metadata(key, value)

    def _undo(self) -> None:
        for key, value in self.old.items():
            self.design.set_metadata(key, value)
        rank = {k: i for i, k in enumerate(self._order)}
        items = sorted(self.design.metadata.items(), key=lambda kv: rank.get(kv[0], len(rank)))
        self.design.metadata.clear()
        self.design.metadata.update(items)


class PickTask(SetMetadataEntries):
    """Make ``entry`` ({"name": ..., **params}) the design's task; ``training`` (the task's
    recommended settings, usually) replaces the training settings in the same step, or None to
    keep them."""

    def __init__(self, document: DesignDocument, entry: dict[str, Any] | None,
                 training: dict[str, Any] | None = None, text: str | None = None) -> None:
        entries: dict[str, Any] = {"task": entry or None}
        if training is not None:
            entries["training"] = training
        name = (entry or {}).get("name", "none")
        super().__init__(document, entries, text or f"Pick task {name}")


class SetTrainingSetting(SetMetadataEntries):
    """Set one training setting (None: back to the engine's default); ``drop`` removes others in
    the same step (steps ↔ epochs). Consecutive edits of one setting merge: typing a learning
    rate or spinning the batch size is one undo step."""

    def __init__(self, document: DesignDocument, key: str, value: Any, drop: tuple[str, ...] = (),
                 title: str | None = None) -> None:
        training = dict(document.design.metadata.get("training") or {})
        if value is None:
            training.pop(key, None)
        else:
            training[key] = value
        for other in drop:
            training.pop(other, None)
        words = "default" if value is None else value
        super().__init__(document, {"training": training or None}, f"Set {title or key} to {words}")
        self.key = key

    def id(self) -> int:  # noqa: A003 - QUndoCommand API
        return MERGE_SET_TRAINING

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt API
        if not isinstance(other, SetTrainingSetting) or other.key != self.key:
            return False
        self.entries = other.entries
        self.setText(other.text())
        if self.entries == self.old:
            self.setObsolete(True)
        return True


class ApplyFix(DesignCommand):
    """Apply a fix the checks offer (``engine.model.graph.Fix``): its parameter changes, one step."""

    def __init__(self, document: DesignDocument, fix: Any) -> None:
        super().__init__(document, f"Fix: {fix.label}")
        self.changes = [(c.node_id, c.param, c.value) for c in fix.changes]
        self.old = [document.design.node(n).params[p] for n, p, _ in self.changes]

    def _redo(self) -> None:
        for node_id, param, value in self.changes:
            self.design.set_param(node_id, param, value)

    def _undo(self) -> None:
        for (node_id, param, _), value in reversed(list(zip(self.changes, self.old))):
            self.design.set_param(node_id, param, value)
