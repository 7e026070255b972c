"""A seeded fuzzer of design files: mutations of the templates' JSON and of its text, and the rule
they must all follow — loading (then checking, compiling, saving and reloading what loads) raises
only the project's own ``DesignFileError``/``DesignError``, never a foreign exception.

Used by ``tests/engine/test_rel_fuzz.py`` (a few hundred cases) and ``bench/reliability.py``
(10,000 and more). Every case is reproducible from its seed.
"""
from __future__ import annotations

import copy
import json
import random
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.document.blocks import BLOCKS
from engine.document.design_file import load_design, parse_design_text, save_design
from engine.document.templates import TEMPLATES, template
from engine.errors import DesignError
from engine.model.check import check_design

NASTY: list[Any] = [None, True, False, 0, -1, 1, 2, 3.5, -0.0, 10**30, "", "x", "values", "training", "forward",
                    "cuda", "head\n", "a.b", "\ud800", "\u202e", "x" * 5000, [], [1, 2], {}, {"x": 1}, [[[]]],
                    "lstm", "out", "in", "state", 4096, 1_000_000, 0.95, 1e-300]
LITERALS = ["1e400", "-1e400", "Infinity", "-Infinity", "NaN", "9" * 5000, "1" + "0" * 25, "-0", "1e-400"]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into ``value`` (dict keys and list indices)."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, prefix + (i,))
    return out


def _get(value: Any, path: tuple) -> Any:
    for p in path:
        value = value[p]
    return value


def _set(root: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    _get(root, path[:-1])[path[-1]] = new
    return root


def _deep(depth: int) -> Any:
    out: Any = {}
    for _ in range(depth):
        out = {"more": out}
    return out


def _mutate_data(data: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any] | list | Any, str | None]:
    """One structural mutation; returns (data, a raw literal to splice in for the marker, or None)."""
    paths = _paths(data)
    kind = rng.randrange(12)
    path = rng.choice(paths)
    literal = None
    if kind == 0:
        data = _set(data, path, copy.deepcopy(rng.choice(NASTY)))
    elif kind == 1 and path:
        parent = _get(data, path[:-1])
        del parent[path[-1]]
    elif kind == 2:
        target = _get(data, path)
        if isinstance(target, dict):
            target[rng.choice(["id", "kind", "params", "position", "source", "target", "node", "port", "zz",
                               "hidden_size", "format_version"])] = copy.deepcopy(rng.choice(NASTY))
        elif isinstance(target, list):
            target.append(copy.deepcopy(rng.choice(target) if target and rng.random() < 0.5 else rng.choice(NASTY)))
    elif kind == 3:
        data = _set(data, path, "@@LITERAL@@")
        literal = rng.choice(LITERALS)
    elif kind == 4 and data.get("nodes"):
        node = rng.choice(data["nodes"])
        if isinstance(node, dict):
            node["kind"] = rng.choice(list(BLOCKS) + ["transformer", ""])
    elif kind == 5 and data.get("edges"):
        edge = rng.choice(data["edges"])
        if isinstance(edge, dict) and isinstance(edge.get("source"), dict):
            end = rng.choice(["source", "target"])
            edge[end]["port" if rng.random() < 0.5 else "node"] = rng.choice(["out", "in", "state", "init", "zz", "head"])
    elif kind == 6:
        data["format_version"] = rng.choice([0, 0, 2, -1, "1", 1.0, None])
        if data["format_version"] == 0 and isinstance(data.get("edges"), list):
            data["edges"] = [f'{e["source"]["node"]}.{e["source"]["port"]} -> {e["target"]["node"]}.{e["target"]["port"]}'
                             if isinstance(e, dict) and rng.random() < 0.8 else e for e in data["edges"]]
    elif kind == 7:
        data.setdefault("metadata", {})
        if isinstance(data["metadata"], dict):
            data["metadata"]["notes"] = _deep(rng.choice([10, 70, 300, 800]))
    elif kind == 8 and data.get("nodes"):
        nodes = data["nodes"]
        node = rng.choice(nodes)
        if isinstance(node, dict):
            node["id"] = rng.choice(["values", "training", "items", "keys", "_modules", "cuda", "to", "head\n",
                                     "1abc", "a b", "é", "a" * 300, "x-y", "_"])
    elif kind == 9 and data.get("nodes"):
        data["nodes"].append(copy.deepcopy(rng.choice(data["nodes"])))
    elif kind == 10 and data.get("nodes"):
        node = rng.choice(data["nodes"])
        if isinstance(node, dict) and isinstance(node.get("params"), dict) and node["params"]:
            name = rng.choice(list(node["params"]))
            node["params"][name] = rng.choice([0, -5, 4096, 4097, 8, 9, 0.5, 1e9, "big", True, None, [3]])
    elif kind == 11:
        data["name"] = rng.choice(NASTY)
    return data, literal


def _mutate_text(text: str, rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        return text[: rng.randrange(len(text))]
    if kind == 1:
        i = rng.randrange(len(text))
        return text[:i] + rng.choice(['"', "{", "}", "[", "]", ",", ":", "\\", "\x00", "\ufeff", "e", "-"]) + text[i:]
    if kind == 2:
        return "\ufeff" + text
    if kind == 3:
        return rng.choice(["[", "{\"a\":"]) * rng.choice([100, 5000, 100_000])
    if kind == 4:
        i = rng.randrange(len(text))
        return text[:i] + text[i + 1:]
    if kind == 5:
        return rng.choice(["", "null", "[]", "5", '"design"', "{}", "true"])
    return text.replace("\"", "'", 1)


@dataclass
class FuzzResult:
    cases: int = 0
    loaded: int = 0  # loaded without error (then checked, compiled when small, saved and reloaded)
    refused: int = 0  # refused with the project's own error
    foreign: Counter = field(default_factory=Counter)  # exception type → count
    examples: dict[str, str] = field(default_factory=dict)  # exception type → one traceback

    @property
    def foreign_total(self) -> int:
        return sum(self.foreign.values())


def fuzz_case(seed: int) -> tuple[str, bool]:
    """The text of case ``seed`` and whether it went through a text mutation."""
    rng = random.Random(seed)
    data: Any = template(rng.choice(list(TEMPLATES))).to_dict()
    literal = None
    for _ in range(rng.choice([1, 1, 2, 3])):
        if not isinstance(data, dict):
            break
        try:
            data, lit = _mutate_data(data, rng)
        except (KeyError, TypeError, IndexError, AttributeError):
            continue  # that mutation did not fit the (already mutated) shape: the next one may
        literal = literal or lit
    try:
        text = json.dumps(data)
    except (ValueError, TypeError):
        text = "{}"
    if literal:
        text = text.replace('"@@LITERAL@@"', literal)
    if rng.random() < 0.25:
        return _mutate_text(text, rng), True
    return text, False


def run_fuzz(n: int, seed0: int = 0, compile_small: bool = True) -> FuzzResult:
    """Try ``n`` fuzzed design files; foreign exceptions are counted by type."""
    result = FuzzResult()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fuzz.rnnd"
        for seed in range(seed0, seed0 + n):
            text, _ = fuzz_case(seed)
            result.cases += 1
            try:
                design = parse_design_text(text, f"case{seed}.rnnd")
                report = check_design(design)
                if compile_small and report.compiles and report.total_params < 200_000:
                    from engine.model.compiler import compile_design

                    compile_design(design, report)
                save_design(design, out)
                load_design(out)
                result.loaded += 1
            except DesignError:
                result.refused += 1
            except Exception as exc:  # noqa: BLE001 - what the fuzzer is for
                name = type(exc).__name__
                result.foreign[name] += 1
                result.examples.setdefault(name, f"seed {seed}:\n{traceback.format_exc()}")
    return result
