"""The design format on disk: parsing JSON into a :class:`~engine.document.design.Design` with errors that
name the file and the JSON path, one migration function per format change, and atomic saving."""
from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.document.blocks import BLOCKS
from engine.document.design import FORMAT_VERSION, Design
from engine.errors import DesignError, DesignFileError


# ---------------------------------------------------------------------- migrations
def migrate_v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Format 0 (pre-release sketches) kept edges as ``"a.out -> b.in"`` strings and positions as
    ``{"x": .., "y": ..}``; format 1 spells both out."""
    data = dict(data)
    edges = []
    for i, e in enumerate(data.get("edges", [])):
        if isinstance(e, str):
            m = re.match(r"^\s*([^.\s]+)\.(\w+)\s*->\s*([^.\s]+)\.(\w+)\s*$", e)
            if not m:
                raise ValueError(f'edges[{i}]: cannot read "{e}"; expected "node.port -> node.port"')
            e = {"source": {"node": m[1], "port": m[2]}, "target": {"node": m[3], "port": m[4]}}
        edges.append(e)
    data["edges"] = edges
    nodes = []
    for n in data.get("nodes", []):
        if isinstance(n, dict) and isinstance(n.get("position"), dict):
            n = dict(n, position=[n["position"].get("x", 0), n["position"].get("y", 0)])
        nodes.append(n)
    data["nodes"] = nodes
    data["format_version"] = 1
    return data


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: migrate_v0_to_v1}


def parse_design(data: Any, source: str = "<design>") -> Design:
    """A design from parsed JSON (``source`` names it in errors), older formats migrated first."""
    def fail(path: str, msg: str) -> DesignFileError:
        return DesignFileError(source, f"{path}: {msg}" if path else msg)

    if not isinstance(data, dict):
        raise fail("", f"expected a JSON object at the top level, got {type(data).__name__}")
    version = data.get("format_version", None)
    if not isinstance(version, int) or isinstance(version, bool):
        raise fail("format_version", "missing or not a whole number; a design file starts with "
                   f'{{"format_version": {FORMAT_VERSION}, ...}}')
    if version > FORMAT_VERSION:
        raise fail("format_version", f"this file has format {version}, written by a newer RNN Designer; "
                   f"this version reads formats up to {FORMAT_VERSION}. Update RNN Designer to open it.")
    while version < FORMAT_VERSION:
        if version not in MIGRATIONS:
            raise fail("format_version", f"format {version} is not supported")
        try:
            data = MIGRATIONS[version](data)
        except ValueError as exc:
            raise fail("", str(exc)) from None
        version = data["format_version"]

    name = data.get("name", Path(source).stem if source != "<design>" else "untitled")
    if not isinstance(name, str):
        raise fail("name", "expected text")
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        raise fail("metadata", "expected an object")
    design = Design(name=name, metadata=copy.deepcopy(metadata))

    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        raise fail("nodes", "missing or not a list")
    for i, raw in enumerate(nodes):
        path = f"nodes[{i}]"
        if not isinstance(raw, dict):
            raise fail(path, "expected an object with id, kind, params, position")
        node_id, kind = raw.get("id"), raw.get("kind")
        if not isinstance(node_id, str):
            raise fail(f"{path}.id", "missing or not text")
        path = f'nodes[{i}] (node "{node_id}")'
        if not isinstance(kind, str):
            raise fail(f"{path}.kind", "missing or not text")
        if kind not in BLOCKS:
            raise fail(f"{path}.kind", f"unknown block kind {kind!r}; known kinds: {', '.join(BLOCKS)}")
        params = raw.get("params", {})
        if not isinstance(params, dict):
            raise fail(f"{path}.params", "expected an object")
        pos = raw.get("position", [0, 0])
        if (not isinstance(pos, (list, tuple)) or len(pos) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos)):
            raise fail(f"{path}.position", f"expected [x, y] numbers, got {pos!r}")
        try:
            design.add_node(kind, params, (pos[0], pos[1]), node_id)
        except DesignError as exc:
            raise fail(f"{path}", str(exc)) from None

    edges = data.get("edges", [])
    if not isinstance(edges, list):
        raise fail("edges", "expected a list")
    for i, raw in enumerate(edges):
        path = f"edges[{i}]"
        try:
            s, t = raw["source"], raw["target"]
            edge = (s["node"], s["port"], t["node"], t["port"])
        except (KeyError, TypeError):
            raise fail(path, 'expected {"source": {"node": .., "port": ..}, "target": {"node": .., "port": ..}}') from None
        if not all(isinstance(v, str) for v in edge):
            raise fail(path, "node ids and port names must be text")
        try:
            design.connect(*edge)
        except DesignError as exc:
            raise fail(path, str(exc)) from None
    return design


# ---------------------------------------------------------------------- files
def load_design(path: str | os.PathLike[str]) -> Design:
    """Read a ``.rnnd`` file; raises :class:`DesignFileError` naming the file and the problem."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DesignFileError(path, "no such file") from None
    except IsADirectoryError:
        raise DesignFileError(path, "is a folder, not a design file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DesignFileError(path, f"cannot be read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DesignFileError(path, f"line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})") from None
    return parse_design(data, path)


def save_design(design: Design, path: str | os.PathLike[str]) -> None:
    """Write atomically: a temporary file in the same folder, then a rename over the target."""
    path = Path(path)
    text = json.dumps(design.to_dict(), indent=2, ensure_ascii=False) + "\n"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    except OSError as exc:
        raise DesignFileError(str(path), f"cannot be written: {exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DesignFileError(str(path), f"cannot be written: {exc}") from None
