"""The design document: paired edits, events, round trips and clear errors for bad files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.document.design import Design, DesignEvent
from engine.document.design_file import load_design, migrate_v0_to_v1, parse_design, save_design
from engine.document.templates import TEMPLATES, template
from engine.errors import DesignError, DesignFileError


def test_every_template_round_trips_through_a_file(tmp_path: Path) -> None:
    for arch in TEMPLATES:
        d = template(arch)
        d.move_node(next(iter(d.nodes)), (123.5, -7.0))
        path = tmp_path / f"{arch}.rnnd"
        save_design(d, path)
        back = load_design(path)
        assert back.to_dict() == d.to_dict()
        assert back.structure_hash() == d.structure_hash()


def test_paired_edits_emit_events_and_undo_exactly() -> None:
    d = template("many-to-one")
    before = d.to_dict()
    events: list[DesignEvent] = []
    d.subscribe(events.append)
    node = d.add_node("dropout", {"p": 0.5}, (10, 20))
    edge = d.connect("lstm", "out", node.id, "in")
    old = d.set_param("lstm", "hidden_size", 32)
    d.move_node("lstm", (1, 2))
    assert [e.type for e in events] == ["node_added", "edge_added", "param_changed", "node_moved"]
    assert events[2].old == 64 and events[2].new == 32
    # undo in reverse order with the opposite methods
    d.move_node("lstm", events[3].old)
    d.set_param("lstm", "hidden_size", old)
    d.disconnect(edge)
    d.remove_node(node.id)
    assert d.to_dict() == before


def test_remove_node_takes_its_edges_and_restore_brings_them_back() -> None:
    d = template("encoder-decoder")
    before = d.to_dict()
    node, edges = d.remove_node("bridge")
    assert len(edges) == 2 and not d.edges_of("bridge")
    d.restore_node(node, edges)
    assert sorted(map(str, d.edges)) == sorted(str(e) for e in parse_design(before).edges)


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda d: d.add_node("transformer"), "unknown block kind"),
        (lambda d: d.add_node("lstm", node_id="lstm"), 'a node "lstm" already exists'),
        (lambda d: d.set_param("lstm", "hidden_size", 0), 'node "lstm" parameter "hidden_size": must be at least 1'),
        (lambda d: d.set_param("lstm", "hidden_size", "big"), "expected a whole number"),
        (lambda d: d.set_param("lstm", "colour", 3), 'node "lstm" (LSTM) has no parameter "colour"'),
        (lambda d: d.connect("last", "out", "lstm", "in"), 'port "in" is already fed by "input"'),
        (lambda d: d.connect("lstm", "out", "head", "in"), 'port "in" is already fed by "last"'),
        (lambda d: d.connect("lstm", "nope", "last", "in"), 'has no output port "nope"'),
        (lambda d: d.connect("head", "out", "input", "in"), 'node "input" has no input port "in"'),
    ],
)
def test_bad_edits_are_refused_with_the_reason(edit, words) -> None:
    d = template("many-to-one")
    before = d.to_dict()
    with pytest.raises(DesignError, match=words.replace("(", r"\(").replace(")", r"\)")):
        edit(d)
    assert d.to_dict() == before


def test_cycles_and_wrong_types_are_refused_when_connecting() -> None:
    d = Design()
    d.add_node("sequence_input", node_id="x")
    d.add_node("dense", node_id="a")
    d.add_node("dense", node_id="b")
    d.add_node("dense", node_id="c")
    d.add_node("last_step", node_id="last")
    d.connect("a", "out", "b", "in")
    d.connect("b", "out", "c", "in")
    with pytest.raises(DesignError, match="would make a cycle"):
        d.connect("c", "out", "a", "in")
    d.add_node("token_input", node_id="tok")
    with pytest.raises(DesignError, match='port "in" takes seq, but "tok" port "out" gives tokens'):
        d.connect("tok", "out", "last", "in")
    assert d.connection_problem(type(d.edges[0])("b", "out", "last", "in")) is None


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.rnnd"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", "line 1 column 2: not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"nodes": []}', "format_version: missing"),
        ('{"format_version": 99, "nodes": []}', "newer RNN Designer"),
        ('{"format_version": 1}', "nodes: missing or not a list"),
        ('{"format_version": 1, "nodes": [{"id": "a", "kind": "lstmm"}]}', 'nodes[0] (node "a").kind: unknown block kind'),
        ('{"format_version": 1, "nodes": [{"id": "a", "kind": "lstm", "params": {"hidden_size": -3}}]}',
         'node "a" parameter "hidden_size": must be at least 1'),
        ('{"format_version": 1, "nodes": [{"id": "a", "kind": "lstm", "position": "here"}]}', "position: expected [x, y]"),
        ('{"format_version": 1, "nodes": [{"kind": "lstm"}]}', "nodes[0].id: missing"),
        ('{"format_version": 1, "nodes": [], "edges": [{"from": 1}]}', "edges[0]: expected"),
        ('{"format_version": 1, "nodes": [], "edges": [{"source": {"node": "a", "port": "out"}, '
         '"target": {"node": "b", "port": "in"}}]}', 'edges[0]: no node "a"'),
    ],
)
def test_bad_files_raise_design_file_error_naming_file_and_path(tmp_path: Path, content: str, words: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(DesignFileError) as info:
        load_design(path)
    assert str(path) in str(info.value)
    assert words in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(DesignFileError, match="no such file"):
        load_design(tmp_path / "nope.rnnd")
    with pytest.raises(DesignFileError, match="is a folder"):
        load_design(tmp_path)


def test_format_0_files_are_migrated() -> None:
    v0 = {"format_version": 0, "name": "old",
          "nodes": [{"id": "x", "kind": "sequence_input", "position": {"x": 5, "y": 6}},
                    {"id": "r", "kind": "gru"}, {"id": "l", "kind": "last_step"}, {"id": "h", "kind": "regressor"}],
          "edges": ["x.out -> r.in", "r.out -> l.in", "l.out -> h.in"]}
    d = parse_design(v0)
    assert d.nodes["x"].position == (5.0, 6.0)
    assert len(d.edges) == 3 and d.to_dict()["format_version"] == 1
    with pytest.raises(ValueError, match='cannot read "x -> y"'):
        migrate_v0_to_v1({"format_version": 0, "edges": ["x -> y"]})


def test_save_is_atomic_and_reports_unwritable_targets(tmp_path: Path) -> None:
    d = template("many-to-many")
    target = tmp_path / "d.rnnd"
    save_design(d, target)
    assert json.loads(target.read_text())["name"] == d.name
    assert [p.name for p in tmp_path.iterdir()] == ["d.rnnd"]  # no temporary files left behind
    with pytest.raises(DesignFileError, match="cannot be written"):
        save_design(d, tmp_path / "missing-folder" / "d.rnnd")


def test_structure_hash_ignores_positions_but_not_params() -> None:
    d = template("many-to-one")
    h = d.structure_hash()
    d.move_node("lstm", (999, 999))
    assert d.structure_hash() == h
    d.set_param("lstm", "hidden_size", 65)
    assert d.structure_hash() != h


def test_restoring_a_removal_puts_everything_back_in_its_place() -> None:
    d = template("encoder-decoder")
    before = d.to_dict()
    removals = [d.remove_node("encoder"), d.remove_node("src_embed")]
    edge = d.edges[0]
    i = d.edges.index(edge)
    d.disconnect(edge)
    d.connect(edge.source, edge.source_port, edge.target, edge.target_port, index=i)
    for r in reversed(removals):
        d.restore_node(r)
    assert d.to_dict() == before  # same order of nodes and edges, so the same file and the same seeded init


def test_a_decoder_without_attention_hashes_as_before_attention_existed() -> None:
    """Checkpoints trained before decoders had an ``attention`` parameter keep matching their design:
    at its default it leaves the structure hash as the formula without it gave."""
    import hashlib
    import json

    d = template("encoder-decoder", cell="gru", hidden_size=16)
    nodes = sorted((n.id, n.kind, sorted((k, v) for k, v in n.params.items() if k != "attention"))
                   for n in d.nodes.values())
    edges = sorted(json.dumps(e.to_dict(), sort_keys=True) for e in d.edges)
    before = hashlib.sha256(json.dumps({"nodes": nodes, "edges": edges}, sort_keys=True, default=str).encode()).hexdigest()[:16]
    assert d.structure_hash() == before
    d.set_param("decoder", "attention", "general")
    assert d.structure_hash() != before
