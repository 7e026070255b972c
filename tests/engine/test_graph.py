"""Graph checks: one test per class of bad graph, each naming the node; shapes, counts, architectures."""
from __future__ import annotations

import pytest

from engine.document.design import Design, Edge
from engine.document.design_file import parse_design
from engine.document.templates import TEMPLATES, template
from engine.model.check import check_design


def _errors(d: Design) -> list[str]:
    return [p.message for p in check_design(d).errors]


def test_templates_check_clean_with_their_architecture() -> None:
    for arch in TEMPLATES:
        for cell in ("lstm", "gru", "elman", "min_gru", "jordan"):
            report = check_design(template(arch, cell=cell))
            assert report.ok, report.errors
            assert report.architecture == arch


def test_shapes_follow_bidirectional_and_stacked_cells() -> None:
    d = template("many-to-one", cell="gru", hidden_size=48, num_layers=3, bidirectional=True)
    r = check_design(d)
    assert str(r.shapes["gru"]["out"]) == "(B, T, 96)"
    assert str(r.shapes["last"]["out"]) == "(B, 96)"
    # 3 layers × 2 directions × 3 gates; layer 0 reads 2 features, layers 1-2 read 96
    expected = 2 * 3 * ((48 * 2 + 48 * 48 + 96) + 2 * (48 * 96 + 48 * 48 + 96))
    assert r.param_counts["gru"] == expected


def test_empty_design() -> None:
    assert _errors(Design()) == ["the design is empty: drag an input, a cell and a head onto the canvas"]


def test_dangling_input_port_names_node_and_port() -> None:
    d = template("many-to-one")
    d.disconnect(d.incoming("last")[0])
    assert any('node "last" port "in" is not connected' in m for m in _errors(d))


def test_doubly_connected_port_from_a_file() -> None:
    raw = template("many-to-one").to_dict()
    raw["nodes"].append({"id": "x2", "kind": "sequence_input", "params": {}, "position": [0, 0]})
    d = parse_design(raw)
    d.edges.append(Edge("x2", "out", "lstm", "in"))  # as a hand-edited file could; connect() refuses it
    assert any('node "lstm" port "in" is fed by 2 edges' in m for m in _errors(d))


def test_cycle_outside_a_cell() -> None:
    d = template("many-to-one")
    d.add_node("dense", node_id="loop")
    d.edges.append(Edge("head", "out", "loop", "in"))
    d.edges.append(Edge("loop", "out", "head", "in"))
    errs = _errors(d)
    assert any("form a cycle" in m and '"loop"' in m for m in errs)


def test_missing_input_and_missing_head() -> None:
    d = template("many-to-one")
    d.remove_node("input")
    assert any("no input block" in m for m in _errors(d))
    d = template("many-to-one")
    d.remove_node("head")
    assert any("no head" in m for m in _errors(d))


def test_incompatible_shapes_name_the_bidirectional_cause() -> None:
    d = template("encoder-decoder", cell="gru", hidden_size=64, bidirectional=True)
    d.set_param("bridge", "mode", "copy")
    errs = _errors(d)
    assert any('node "bridge" port "in": mode \'copy\' expects 64 features, gets 128 from "encoder" '
               "(bidirectional doubles 64)" in m for m in errs), errs


def test_decoder_init_width_mismatch() -> None:
    d = template("encoder-decoder")
    d.set_param("bridge", "hidden_size", 100)
    assert any('node "decoder" port "init": expects 128 features' in m for m in _errors(d))


def test_decoder_without_encoder_or_generator() -> None:
    d = template("encoder-decoder")
    d.remove_node("bridge")
    assert any('decoder "decoder" has no encoder or generator' in m for m in _errors(d))


def test_wrong_port_type_reaching_a_node() -> None:
    # an embedding of a class gives a vector; a cell needs a sequence
    d = Design()
    d.add_node("class_input", node_id="c")
    d.add_node("embedding", node_id="e")
    d.add_node("lstm", node_id="l")
    d.add_node("last_step", node_id="last")
    d.add_node("regressor", node_id="h")
    d.connect("c", "out", "e", "in")
    d.connect("e", "out", "l", "in")
    d.connect("l", "out", "last", "in")
    d.connect("last", "out", "h", "in")
    assert any('node "l" port "in": takes seq, gets vector (B, 32) from "e"' in m for m in _errors(d))


def test_decoder_head_must_match_vocabulary() -> None:
    d = template("one-to-many")
    d.set_param("head", "num_classes", 40)
    assert any('node "head" parameter "num_classes": is 40 but decoder "decoder" has a vocabulary of 25' in m
               for m in _errors(d))


def test_two_heads_and_two_inputs() -> None:
    d = template("many-to-one")
    d.add_node("regressor", node_id="head2")
    d.add_node("dense", node_id="side")
    d.connect("lstm", "state", "side", "in")
    d.connect("side", "out", "head2", "in")
    assert any("2 heads" in m and "head2" in m for m in _errors(d))


def test_unused_blocks_are_warnings_not_errors() -> None:
    d = template("many-to-one")
    d.add_node("dense", node_id="spare")
    d.connect("lstm", "state", "spare", "in")
    r = check_design(d)
    assert r.ok
    assert any(p.node_id == "spare" for p in r.warnings)


@pytest.mark.parametrize("arch", list(TEMPLATES))
def test_edge_shapes_are_reported_for_every_edge(arch: str) -> None:
    d = template(arch)
    r = check_design(d)
    assert all(r.edge_shape(e) is not None for e in d.edges)
