"""The design format on disk: parsing JSON into a :class:`~engine.document.design.Design` with errors that
name the file and the JSON path, one migration function per format change, and atomic saving."""
from __future__ import annotations

import copy
import itertools
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.document.blocks import BLOCKS
from engine.document.design import FORMAT_VERSION, Design
from engine.errors import DesignError, DesignFileError
from engine.files import atomic_write, os_error_message

# ---------------------------------------------------------------------- limits on what a file may hold
MAX_DEPTH = 64  # JSON nesting; a design needs 5 levels, metadata a few more
MAX_INT_DIGITS = 19  # beyond 2**63 a number is a mistake, and Python refuses to read 4,300 digits
_TOO_BIG = 10**MAX_INT_DIGITS


class _Unreadable:
    """A number JSON allows but a design cannot hold (``1e400``, ``Infinity``, 5,000 digits): kept
    as a marker while parsing, so the error can name where it stands."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text if len(self.text) <= 24 else f"{self.text[:12]}...({len(self.text)} characters)"


def _read_int(text: str) -> Any:
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else _Unreadable(text)


def _read_float(text: str) -> Any:
    if len(text) > 400:
        return _Unreadable(text)
    value = float(text)
    return value if math.isfinite(value) else _Unreadable(text)


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]')
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def _short(path: str) -> str:
    """A JSON path a person can read: a very deep one keeps its start and says how deep it went."""
    return path if len(path) <= 80 else f"{path[:60]}... ({path.count('.') + path.count('[') + 1} levels)"


def _path_text(stack: list[list[Any]]) -> str:
    parts = []
    for kind, key, _ in stack:
        if kind == "[":
            parts.append(f"[{key}]")
        elif key is not None:
            parts.append(f".{key}" if parts else str(key))
    return _short("".join(parts)) or "the top level"


def _check_depth(text: str, source: str) -> None:
    """Refuse JSON nested deeper than :data:`MAX_DEPTH`, naming where (json itself would hit
    Python's recursion limit; a deep copy of deep metadata as well)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    if max(itertools.accumulate(1 if c in "[{" else -1 for c in brackets), default=0) <= MAX_DEPTH:
        return
    stack: list[list[Any]] = []  # [bracket, key or index, last string seen]
    for m in _TOKENS.finditer(text):
        tok = m.group()
        if tok[0] == '"':
            if stack:
                stack[-1][2] = tok
        elif tok in "[{":
            if len(stack) >= MAX_DEPTH:
                line = text.count("\n", 0, m.start()) + 1
                raise DesignFileError(source, f"{_path_text(stack)}: nested more than {MAX_DEPTH} levels deep "
                                      f"(line {line}); a design file is never this deep")
            stack.append([tok, 0 if tok == "[" else None, None])
        elif tok in "]}":
            if stack:
                stack.pop()
        elif tok == ":" and stack and stack[-1][0] == "{" and stack[-1][2]:
            try:
                stack[-1][1] = json.loads(stack[-1][2])
            except ValueError:
                stack[-1][1] = "?"
        elif tok == "," and stack and stack[-1][0] == "[":
            stack[-1][1] += 1


def _check_values(data: Any, source: str) -> None:
    """Every value loadable and saveable: depth bounded, numbers finite and of sane size, text
    without lone surrogates (which JSON allows as escapes but UTF-8 cannot store)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise DesignFileError(source, f"{_where(path)}: nested more than {MAX_DEPTH} levels deep; a design file is "
                                  "never this deep")
        if isinstance(value, str):
            if not value.isascii():
                _check_text(value, _where(path), source)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise DesignFileError(source, f"{_where(path)}: key {key!r} is not text")
                if not key.isascii():
                    _check_text(key, f"{_where(path)} key", source)
                stack.append((item, (*path, key)))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, (*path, i)) for i, item in enumerate(value))
        elif isinstance(value, _Unreadable):
            raise DesignFileError(source, f"{_where(path)}: the number {value!r} is out of range (infinite, not a number, "
                                  "or too many digits); write a finite number")
        elif isinstance(value, float) and not math.isfinite(value):
            raise DesignFileError(source, f"{_where(path)}: {value!r} is not a finite number")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _TOO_BIG:
            raise DesignFileError(source, f"{_where(path)}: the number has more than {MAX_INT_DIGITS} digits")


def _where(path: tuple[Any, ...]) -> str:
    """``nodes[3].params.hidden_size`` for the path ("the top level" for none), shortened when deep."""
    text = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))
    return _short(text) or "the top level"


def _check_text(text: str, where: str, source: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DesignFileError(source, f"{where}: holds a lone surrogate (\\u{ord(text[exc.start]):04x}) at character "
                              f"{exc.start + 1}, which no UTF-8 file can store; remove or replace it") from None


# ---------------------------------------------------------------------- migrations
def migrate_v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Format 0 (pre-release sketches) kept edges as ``"a.out -> b.in"`` strings and positions as
    ``{"x": .., "y": ..}``; format 1 spells both out."""
    data = dict(data)
    raw_edges, raw_nodes = data.get("edges", []), data.get("nodes", [])
    if not isinstance(raw_edges, list):
        raise ValueError(f"edges: expected a list, got {type(raw_edges).__name__}")
    if not isinstance(raw_nodes, list):
        raise ValueError(f"nodes: expected a list, got {type(raw_nodes).__name__}")
    edges = []
    for i, e in enumerate(raw_edges):
        if isinstance(e, str):
            m = re.match(r"^\s*([^.\s]+)\.(\w+)\s*->\s*([^.\s]+)\.(\w+)\s*\Z", e)
            if not m:
                raise ValueError(f'edges[{i}]: cannot read "{e}"; expected "node.port -> node.port"')
            e = {"source": {"node": m[1], "port": m[2]}, "target": {"node": m[3], "port": m[4]}}
        edges.append(e)
    data["edges"] = edges
    nodes = []
    for n in raw_nodes:
        if isinstance(n, dict) and isinstance(n.get("position"), dict):
            pos = n["position"]
            n = dict(n, position=[pos.get("x", 0), pos.get("y", 0)])
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
    _check_values(data, source)
    version = data.get("format_version", None)
    if not isinstance(version, int) or isinstance(version, bool):
        raise fail("format_version", "missing or not a whole number; a design file starts with "
                   f'{{"format_version": {FORMAT_VERSION}, ...}}')
    if version < 0:
        raise fail("format_version", f"{version} is not a format; a design file starts with "
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
        path = f"nodes[{i}] (node {json.dumps(node_id, ensure_ascii=False)})"  # escaped: an id may hold a newline
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
            design.connect(*edge, cycles=False)  # one cycle search below, not one per edge
        except DesignError as exc:
            raise fail(path, str(exc)) from None
    cycle = design.find_cycle()
    if cycle:
        where = design.edges.index(cycle[-1])
        loop = " → ".join(f'"{e.source}"' for e in cycle) + f' → "{cycle[0].source}"'
        raise fail(f"edges[{where}]", f"the blocks form a cycle {loop}; recurrence lives inside a cell, "
                   "not between blocks: remove one of these edges")
    return design


# ---------------------------------------------------------------------- files
def parse_design_text(text: str, source: str = "<design>") -> Design:
    """A design from the text of a file: nesting depth and number sizes are bounded before
    ``json`` reads it, and a UTF-8 byte-order mark (Windows editors write one) is skipped."""
    text = text.removeprefix("\ufeff")
    _check_depth(text, source)
    try:
        data = json.loads(text, parse_int=_read_int, parse_float=_read_float, parse_constant=_Unreadable)
    except json.JSONDecodeError as exc:
        raise DesignFileError(source, f"line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})") from None
    except RecursionError:  # _check_depth bounds nesting; this is the last line of defence
        raise DesignFileError(source, f"nested more than {MAX_DEPTH} levels deep; a design file is never this deep") from None
    return parse_design(data, source)


def load_design(path: str | os.PathLike[str]) -> Design:
    """Read a ``.rnnd`` file; raises :class:`DesignFileError` naming the file and the problem."""
    path = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise DesignFileError(path, "no such file") from None
    except IsADirectoryError:
        raise DesignFileError(path, "is a folder, not a design file") from None
    except OSError as exc:
        raise DesignFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DesignFileError(path, f"line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); a design file is "
                              "UTF-8 JSON — is this the right file?") from None
    return parse_design_text(text, path)


def save_design(design: Design, path: str | os.PathLike[str]) -> None:
    """Write atomically (:func:`engine.files.atomic_write`): the old file stays whole until the new
    one is on disk; its permissions and a symlink to it are kept."""
    path = Path(path)
    data = design.to_dict()
    _check_values(data, str(path))  # a lone surrogate set through the API: refused before any file is touched
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise DesignFileError(str(path), os_error_message(exc, path)) from None
