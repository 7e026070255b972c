"""``rnn-designer decode``: design + checkpoint + --input → n-best list, tree file, clear errors."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from engine import compile_design, save_design, template
from engine.cli.main import main


@pytest.fixture()
def design_and_weights(tmp_path):
    torch.manual_seed(0)
    d = template("encoder-decoder", cell="gru", hidden_size=16, src_vocab=12, tgt_vocab=12, embed_dim=8, max_len=6)
    d.set_metadata("task", {"name": "reverse", "symbols": 8})
    model = compile_design(d)
    design_path = tmp_path / "rev.rnnd"
    save_design(d, design_path)
    weights = tmp_path / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    return d, model, design_path, weights


def test_decode_prints_nbest_and_writes_tree(design_and_weights, tmp_path, capsys):
    d, model, design_path, weights = design_and_weights
    rc = main(["decode", str(design_path), "--checkpoint", str(weights), "--input", "abcd", "--input", "hh",
               "--beam", "3", "--tree", str(tmp_path / "tree.json")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert out.count("input: ") == 2 and "rank" in out
    rows = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 6
    tree = json.loads((tmp_path / "tree.json").read_text())
    assert tree["format"] == "rnn-designer-beam-tree" and tree["done"] and tree["nodes"]
    rc = main(["decode", str(design_path), "-c", str(weights), "-i", "abcd", "-b", "2", "--json",
               "--tree", str(tmp_path / "tree.dot")])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and data[0]["input"] == "abcd" and len(data[0]["results"]) == 2
    assert (tmp_path / "tree.dot").read_text().startswith("digraph")


def test_decode_matches_the_library(design_and_weights, capsys):
    from engine.beam import beam_search
    from engine.data import get_task

    d, model, design_path, weights = design_and_weights
    vocab = get_task("reverse", symbols=8).source_vocab
    rc = main(["decode", str(design_path), "-c", str(weights), "-i", "abc", "-b", "4", "--json"])
    data = json.loads(capsys.readouterr().out)
    (hyps,) = beam_search(model.eval(), torch.tensor([vocab.encode("abc")]), beam_width=4)
    assert rc == 0 and [r["tokens"] for r in data[0]["results"]] == [list(h.tokens) for h in hyps]
    rc = main(["decode", str(design_path), "-c", str(weights), "--ids", "-i", " ".join(map(str, vocab.encode("abc"))),
               "-b", "4", "--json"])
    assert [r["tokens"] for r in json.loads(capsys.readouterr().out)[0]["results"]] == [list(h.tokens) for h in hyps]


def test_decode_reads_a_training_checkpoint(design_and_weights, tmp_path, capsys):
    from engine.training import checkpoint
    d, model, design_path, _ = design_and_weights
    path = checkpoint.save_checkpoint(tmp_path / "run" / "best", model, design=d, step=3)
    rc = main(["decode", str(design_path), "-c", str(path), "-i", "abc"])
    assert rc == 0, capsys.readouterr().err
    # a checkpoint of another design is refused with a message, not a traceback
    other = template("encoder-decoder", cell="lstm", hidden_size=16, src_vocab=12, tgt_vocab=12, embed_dim=8)
    other.set_metadata("task", {"name": "reverse", "symbols": 8})
    save_design(other, tmp_path / "other.rnnd")
    capsys.readouterr()
    rc = main(["decode", str(tmp_path / "other.rnnd"), "-c", str(path), "-i", "abc"])
    assert rc == 1 and "error:" in capsys.readouterr().err


def test_decode_errors_are_plain_messages(design_and_weights, tmp_path, capsys):
    d, model, design_path, weights = design_and_weights
    cases = [
        ["decode", str(design_path), "-c", str(tmp_path / "missing.safetensors"), "-i", "abc"],
        ["decode", str(design_path), "-c", str(weights), "-i", "abc", "--beam", "0"],
        ["decode", str(design_path), "-c", str(weights), "-i", "abc", "--tree", str(tmp_path / "t.png")],
        ["decode", str(design_path), "-c", str(weights), "-i", "x y", "--ids"],
    ]
    for argv in cases:
        rc = main(argv)
        err = capsys.readouterr().err
        assert rc == 1 and err.startswith("error:") and "Traceback" not in err, (argv, err)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a tensor file")
    assert main(["decode", str(design_path), "-c", str(bad), "-i", "abc"]) == 1
    many_to_one = template("many-to-one")
    save_design(many_to_one, tmp_path / "m2o.rnnd")
    assert main(["decode", str(tmp_path / "m2o.rnnd"), "-i", "1"]) == 1
    assert "cannot generate" in capsys.readouterr().err
    assert main(["decode", str(tmp_path / "nope.rnnd"), "-i", "1"]) == 2
