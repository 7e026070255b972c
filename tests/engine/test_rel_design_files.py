"""Hostile and unlucky design files: every one a DesignFileError naming the JSON path (issue 14,
"Design files"), ids that would collide with the model's namespace, and a near-linear loader."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.document.design import Design
from engine.document.design_file import load_design, parse_design, parse_design_text
from engine.document.templates import template
from engine.errors import DesignError, DesignFileError
from engine.model.check import check_design
from engine.model.compiler import compile_design


def _text(design: Design) -> str:
    return json.dumps(design.to_dict())


def _with(arch: str, edit) -> str:  # noqa: ANN001
    data = template(arch).to_dict()
    edit(data)
    return json.dumps(data)


def _set_param(node: str, name: str, raw: str):  # noqa: ANN202
    """Edit the JSON text so a parameter holds ``raw`` literally (Infinity, 1e400, 5,000 digits)."""
    def edit(data: dict) -> None:
        for n in data["nodes"]:
            if n["id"] == node:
                n["params"][name] = "@@RAW@@"
    return edit, raw


@pytest.mark.parametrize("node, name, raw", [
    ("lstm", "hidden_size", "9" * 5000),
    ("lstm", "hidden_size", "Infinity"),
    ("lstm", "hidden_size", "1e400"),
    ("lstm", "dropout", "-Infinity"),
    ("lstm", "dropout", "NaN"),
    ("lstm", "hidden_size", "1" + "0" * 30),
])
def test_numbers_out_of_range_name_their_json_path(node: str, name: str, raw: str) -> None:
    edit, raw = _set_param(node, name, raw)
    text = _with("many-to-one", edit).replace('"@@RAW@@"', raw)
    with pytest.raises(DesignFileError) as err:
        parse_design_text(text, "big.rnnd")
    assert f"nodes[1].params.{name}" in str(err.value) or f'node "{node}" parameter "{name}"' in str(err.value)
    assert str(err.value).startswith("big.rnnd: ")


def test_infinite_positions_and_api_edits_are_refused() -> None:
    text = _text(template("many-to-one")).replace('"position": [', '"position": [1e400, ', 1)
    text = text.replace("1e400, ", "1e400, 0], \"_\": [", 1)
    with pytest.raises(DesignFileError, match=r"nodes\[0\]\.position\[0\]: the number 1e400 is out of range"):
        parse_design_text(text)
    d = template("many-to-one")
    for value in (float("inf"), float("nan"), 10**400):
        with pytest.raises(DesignError, match='node "lstm" parameter "hidden_size"'):
            d.set_param("lstm", "hidden_size", value)
    with pytest.raises(DesignError, match='node "lstm" parameter "dropout": expected a finite number, got nan'):
        d.set_param("lstm", "dropout", float("nan"))  # NaN passes every range check: it must be refused first
    with pytest.raises(DesignError, match=r'node "lstm" position: expected finite numbers'):
        d.move_node("lstm", (float("inf"), 0))


def test_deep_nesting_is_refused_with_its_place_not_a_recursion_error(tmp_path: Path) -> None:
    data = template("many-to-one").to_dict()
    deep: dict = {}
    cursor = deep
    for _ in range(800):
        cursor["more"] = {}
        cursor = cursor["more"]
    data["metadata"]["notes"] = deep
    with pytest.raises(DesignFileError, match=r"metadata\.notes\.more\.more.*nested more than 64 levels"):
        parse_design_text(json.dumps(data), "deep.rnnd")
    with pytest.raises(DesignFileError, match="nested more than 64 levels"):
        parse_design(data)  # the same design handed over as Python objects
    path = tmp_path / "brackets.rnnd"
    path.write_text("[" * 100_000)
    with pytest.raises(DesignFileError, match=r"brackets.rnnd: \[0\]\[0\].*nested more than 64 levels deep \(line 1\)"):
        load_design(path)
    # brackets inside strings are text, not nesting
    d = template("many-to-one")
    d.set_metadata("description", "[" * 1000 + "{" * 1000)
    assert parse_design_text(_text(d)).metadata["description"].startswith("[[[")


def test_a_lone_surrogate_is_refused_at_load_naming_where() -> None:
    text = _text(template("many-to-one")).replace('"name": "', '"name": "\\ud800', 1)
    with pytest.raises(DesignFileError, match=r"name: holds a lone surrogate \(\\ud800\)"):
        parse_design_text(text)


@pytest.mark.parametrize("change, words", [
    ({"edges": 5}, "edges: expected a list, got int"),
    ({"nodes": None}, "nodes: expected a list, got NoneType"),
    ({"nodes": 7}, "nodes: expected a list, got int"),
    ({"edges": [5]}, r"edges\[0\]: expected"),
    ({"nodes": [None]}, r"nodes\[0\]: expected an object"),
    ({"nodes": [{"id": "x", "kind": "gru", "position": {"x": "left", "y": 0}}]}, r"position: expected \[x, y\] numbers"),
])
def test_format_0_files_with_bad_parts_name_them(change: dict, words: str) -> None:
    data = {"format_version": 0, "name": "old", "nodes": [], "edges": [], **change}
    with pytest.raises(DesignFileError, match=words):
        parse_design(data)


def test_an_id_with_a_trailing_newline_is_refused() -> None:
    data = template("many-to-one").to_dict()
    data["nodes"][0]["id"] = "head\n"
    with pytest.raises(DesignFileError, match=r"nodes\[0\].*must start with a letter"):
        parse_design(data)
    with pytest.raises(DesignError, match="must start with a letter"):
        Design().add_node("lstm", node_id="lstm\n")


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.rnnd"
    path.write_bytes(b"\xef\xbb\xbf" + _text(template("many-to-many")).encode())
    assert load_design(path).to_dict() == template("many-to-many").to_dict()
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(DesignFileError, match="not UTF-8 text"):
        load_design(path)


NAMESPACE_IDS = ["values", "training", "forward", "items", "cuda", "keys", "parameters", "state_dict", "_modules",
                 "update", "pop", "to", "eval", "half"]


@pytest.mark.parametrize("arch", ["many-to-one", "encoder-decoder"])
def test_ids_that_are_module_attributes_compile_train_and_save(arch: str, tmp_path: Path) -> None:
    data = template(arch).to_dict()
    rename = {n["id"]: NAMESPACE_IDS[i] for i, n in enumerate(data["nodes"])}
    for n in data["nodes"]:
        n["id"] = rename[n["id"]]
    for e in data["edges"]:
        e["source"]["node"], e["target"]["node"] = rename[e["source"]["node"]], rename[e["target"]["node"]]
    design = parse_design(data)
    assert check_design(design).ok
    model = compile_design(design)
    assert set(model.recurrent_blocks()) <= set(rename.values())
    from engine.training.checkpoint import load_checkpoint, save_checkpoint

    save_checkpoint(tmp_path / "c", model, design=design)
    load_checkpoint(tmp_path / "c", design=design, model=compile_design(design))
    if arch == "many-to-one":
        out = model(torch.rand(2, 5, 2))
        model.loss(out, torch.rand(2, 1)).backward()


def _chain(n: int, reverse: bool = False) -> str:
    nodes = [{"id": "x", "kind": "sequence_input", "params": {"features": 2}}]
    edges, prev = [], "x"
    for i in range(n - 3):
        nodes.append({"id": f"d{i}", "kind": "dense", "params": {"units": 4}, "position": [i * 10, 0]})
        edges.append({"source": {"node": prev, "port": "out"}, "target": {"node": f"d{i}", "port": "in"}})
        prev = f"d{i}"
    nodes += [{"id": "last", "kind": "last_step"}, {"id": "head", "kind": "regressor"}]
    edges += [{"source": {"node": prev, "port": "out"}, "target": {"node": "last", "port": "in"}},
              {"source": {"node": "last", "port": "out"}, "target": {"node": "head", "port": "in"}}]
    return json.dumps({"format_version": 1, "name": "chain", "nodes": nodes, "edges": edges[::-1] if reverse else edges})


def test_a_2000_node_chain_loads_and_checks_in_any_edge_order() -> None:
    """Correctness at size; the time is measured in bench/reliability.py (< 1 s, near-linear)."""
    for reverse in (False, True):
        design = parse_design_text(_chain(2000, reverse))
        report = check_design(design)
        assert len(design.nodes) == 2000 and len(design.edges) == 1999
        assert report.order[0] == "x" and report.order[-1] == "head"
        assert not report.errors, report.errors[:3]


def test_a_cycle_in_a_file_names_one_of_its_edges() -> None:
    data = json.loads(_chain(6))
    data["edges"].append({"source": {"node": "d2", "port": "out"}, "target": {"node": "d0", "port": "in"}})
    del data["edges"][0]  # d0's input now comes from d2: d0 → d1 → d2 → d0
    with pytest.raises(DesignFileError, match=r'edges\[\d+\]: the blocks form a cycle "d\d" → .*remove one of these edges'):
        parse_design(data)
