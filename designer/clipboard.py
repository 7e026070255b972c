"""Copy, paste and duplicate: a selection travels as JSON (nodes plus the edges among them)."""
from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from engine.document.blocks import BLOCKS
from engine.document.design import Design, Edge
from engine.errors import DesignError

from .canvas.style import GRID
from .commands import AddItems, fresh_ids
from .document import DesignDocument
from .mime import NODES_MIME

PASTE_OFFSET = 2 * GRID


def selection_payload(design: Design, node_ids: list[str]) -> dict[str, Any]:
    chosen = [n for n in design.nodes if n in set(node_ids)]
    return {"nodes": [design.nodes[n].to_dict() for n in chosen],
            "edges": [e.to_dict() for e in design.edges if e.source in chosen and e.target in chosen]}


def to_mime(payload: dict[str, Any]) -> QMimeData:
    mime = QMimeData()
    text = json.dumps(payload, indent=1)
    mime.setData(NODES_MIME, text.encode("utf-8"))
    mime.setText(text)
    return mime


def from_mime(mime: QMimeData | None) -> dict[str, Any] | None:
    if mime is None:
        return None
    if mime.hasFormat(NODES_MIME):
        raw = bytes(mime.data(NODES_MIME).data()).decode("utf-8")
    elif mime.hasText():
        raw = mime.text()
    else:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        return None
    return data


def copy_to_clipboard(design: Design, node_ids: list[str]) -> bool:
    if not node_ids:
        return False
    clipboard = QGuiApplication.clipboard()
    clipboard.setMimeData(to_mime(selection_payload(design, node_ids)))
    app = QGuiApplication.instance()
    if app is not None and not app.property("clipboardReleasedAtQuit"):
        # Qt destroys the clipboard's data in an exit handler, after Python has shut down; data
        # created from Python must go before that, or the process crashes on the way out.
        app.aboutToQuit.connect(clipboard.clear)
        app.setProperty("clipboardReleasedAtQuit", True)
    return True


def paste_command(document: DesignDocument, payload: dict[str, Any], offset: float = PASTE_OFFSET,
                  text: str = "Paste") -> AddItems | None:
    """An AddItems command adding the payload's nodes under fresh ids, shifted by ``offset``."""
    nodes = [n for n in payload.get("nodes", []) if isinstance(n, dict) and n.get("kind") in BLOCKS]
    if not nodes:
        return None
    new_ids = fresh_ids(document.design, [n["kind"] for n in nodes])
    rename = {n.get("id"): new for n, new in zip(nodes, new_ids)}
    # try everything on a scratch design first, so the command cannot fail half-way
    scratch = Design()
    out_nodes = []
    for n, new in zip(nodes, new_ids):
        try:
            x, y = (n.get("position") or [0, 0])[:2]
            params = dict(n.get("params") or {})
            position = (float(x) + offset, float(y) + offset)
            scratch.add_node(n["kind"], params, position, new)
        except (DesignError, TypeError, ValueError):
            continue
        out_nodes.append({"id": new, "kind": n["kind"], "params": params, "position": position})
    if not out_nodes:
        return None
    edges = []
    for e in payload.get("edges", []):
        try:
            s, t = e["source"], e["target"]
            if s["node"] in rename and t["node"] in rename:
                edge = Edge(rename[s["node"]], s["port"], rename[t["node"]], t["port"])
                scratch.connect(edge.source, edge.source_port, edge.target, edge.target_port)
                edges.append(edge)
        except (KeyError, TypeError, DesignError):
            continue
    n = len(out_nodes)
    label = f"{text} {BLOCKS[out_nodes[0]['kind']].title}" if n == 1 else f"{text} {n} blocks"
    return AddItems(document, out_nodes, edges, label)


def paste_from_clipboard(document: DesignDocument) -> list[str]:
    payload = from_mime(QGuiApplication.clipboard().mimeData())
    command = paste_command(document, payload) if payload else None
    if command is None:
        return []
    document.push(command)
    return command.node_ids
