"""Tasks: reproducible from a seed, batches shaped as docs/internals.md says, what they need of a design."""
from __future__ import annotations

import datetime as dt

import pytest
import torch

from engine.data import BUNDLED, TASKS, get_task, task_for_file, task_from_metadata
from engine.data.dates import FORMATS, human_date
from engine.data.spelling import spell_number
from engine.document.design import Design
from engine.errors import DataError
from engine.model.task_fit import fit_problems
from engine.vocab import BOS, EOS, PAD

SMALL = {"adding": {"seq_len": 20, "train_size": 64, "val_size": 32},
         "reber": {"train_size": 64, "val_size": 32},
         "dates": {"train_size": 64, "val_size": 32},
         "copy": {"train_size": 64, "val_size": 32},
         "reverse": {"train_size": 64, "val_size": 32},
         "spell_numbers": {"max_number": 20, "repeat": 2},
         "char_lm": {"seq_len": 32}}


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_task_gives_well_formed_batches(name):
    task = get_task(name, **SMALL[name])
    for b in task.batches("train", 16):
        n = len(b)
        assert 1 <= n <= 16
        assert b.y.shape[0] == n
        if task.architecture == "many-to-many":
            assert b.y.shape[:2] == b.x.shape[:2]
            assert b.y_mask.shape == b.y.shape[:2]
        if task.architecture in ("encoder-decoder", "one-to-many"):
            assert b.y_in.shape == b.y.shape == b.y_mask.shape
            assert (b.y_in[:, 0] == BOS).all()
            ends = b.y_mask.sum(1) - 1  # the last counted position holds <eos>
            assert (b.y[torch.arange(n), ends] == EOS).all()
            assert (b.y[~b.y_mask] == PAD).all()
        if b.lengths is not None:
            assert int(b.lengths.max()) == b.x.shape[1]  # trimmed to the longest
    assert task.metadata()["name"] == name
    assert task.main_metric in task.metrics


@pytest.mark.parametrize("name", BUNDLED)
def test_tasks_are_reproducible_from_the_seed(name):
    a, b = get_task(name, seed=3, **SMALL[name]), get_task(name, seed=3, **SMALL[name])
    for xa, xb in zip(a.batches("train", 8, epoch=1), b.batches("train", 8, epoch=1)):
        assert torch.equal(xa.x, xb.x) and torch.equal(xa.y, xb.y)
    # a task rebuilt from its own metadata gives the same validation set
    c = task_from_metadata(a.metadata())
    assert torch.equal(c.split("val").x, a.split("val").x)


def test_fresh_tasks_draw_new_training_data_each_epoch_but_keep_validation():
    t = get_task("adding", **SMALL["adding"])
    assert not torch.equal(t.split("train", 0).x, t.split("train", 1).x)
    assert torch.equal(t.split("val").x, get_task("adding", **SMALL["adding"]).split("val").x)


def test_adding_problem_mean_prediction_scores_one_sixth():
    t = get_task("adding", seq_len=100, val_size=20_000)
    v = t.split("val")
    assert v.x.shape == (20_000, 100, 2)
    assert (v.x[..., 1].sum(1) == 2).all()  # exactly two markers
    marked = (v.x[..., 0] * v.x[..., 1]).sum(1)
    assert torch.allclose(marked, v.y[:, 0])
    assert abs(float(((v.y - 1.0) ** 2).mean()) - 1 / 6) < 0.01


def test_reber_long_range_symbol_matches_the_second_symbol():
    t = get_task("reber", val_size=200)
    v = t.split("val")
    rows = torch.arange(len(v))
    second = v.x[:, 1]
    assert (v.y[rows, v.lengths - 2] == second).all()
    assert set(t.source_vocab.decode(v.x[0, :2].tolist())[1]) <= {"T", "P"}


def test_date_translation_targets_are_iso():
    t = get_task("dates", val_size=50)
    v = t.split("val")
    for i in range(50):
        iso = t.show_target(v.y[i])
        d = dt.date.fromisoformat(iso)
        assert t.show_input(v, i) in {human_date(d, s) for s in range(len(FORMATS))}


def test_spelling():
    assert spell_number(7) == "seven"
    assert spell_number(42) == "forty-two"
    assert spell_number(300) == "three hundred"
    assert spell_number(1019) == "one thousand nineteen"
    t = get_task("spell_numbers", max_number=30)
    b = t.probe_batch(30)
    assert t.show_target(b.y[21]) == "twenty-one" and int(b.x[21]) == 21


def test_char_lm_targets_are_the_next_character():
    t = get_task("char_lm", seq_len=16)
    b = next(t.batches("val", 4))
    assert torch.equal(b.x[0, 1:], b.y[0, :-1])
    assert len(t.source_vocab) == t.input_need.size


def test_unknown_task_and_parameter_are_named():
    with pytest.raises(DataError, match='unknown task "nope"'):
        get_task("nope")
    with pytest.raises(DataError, match='no parameter'):
        get_task("adding", lenght=3)
    with pytest.raises(DataError, match='"seq_len": must be'):
        get_task("adding", seq_len=1)


def _design(kind_in, p_in, head, p_head):
    d = Design("t")
    d.add_node(kind_in, p_in, node_id="inp")
    if kind_in == "token_input":
        d.add_node("embedding", {"embed_dim": 8}, node_id="emb")
        d.connect("inp", "out", "emb", "in")
        src = "emb"
    else:
        src = "inp"
    d.add_node("lstm", {"hidden_size": 8}, node_id="rnn")
    d.connect(src, "out", "rnn", "in")
    d.add_node(head, p_head, node_id="head")
    d.connect("rnn", "state", "head", "in")
    return d


def test_fit_problems_name_the_node_and_parameter():
    adding = get_task("adding", **SMALL["adding"])
    assert fit_problems(adding, _design("sequence_input", {"features": 2}, "regressor", {"outputs": 1})) == []
    problems = fit_problems(adding, _design("sequence_input", {"features": 3}, "regressor", {"outputs": 1}))
    assert len(problems) == 1
    assert problems[0].startswith('node "inp": task "adding" has 2 features per step') and "features is 3" in problems[0]
    problems = fit_problems(adding, _design("token_input", {"vocab_size": 12}, "classifier", {"num_classes": 4}))
    assert any('node "inp" is a token sequence' in p for p in problems)
    assert any('node "head"' in p for p in problems)
    reber = get_task("reber", **SMALL["reber"])
    problems = fit_problems(reber, _design("token_input", {"vocab_size": 11}, "classifier", {"num_classes": 11}))
    assert len(problems) == 1 and problems[0].startswith('task "reber" is many-to-many, but the design is many-to-one')


# ---------------------------------------------------------------------- user files
def test_csv_series(tmp_path):
    f = tmp_path / "series.csv"
    f.write_text("a,b\n" + "".join(f"{i},{i % 7}\n" for i in range(100)))
    t = task_for_file(f, window=10)
    assert t.name == "csv_series" and t.input_need.size == 2
    b = next(t.batches("train", 4, shuffle=False))
    assert b.x.shape == (4, 10, 2) and b.y.shape == (4, 1)
    many = get_task("csv_series", path=str(f), window=10, mode="many-to-many", target="b")
    assert many.architecture == "many-to-many" and next(many.batches("train", 4)).y.shape == (4, 10, 1)


def test_csv_series_errors_name_the_line(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("a,b\n1,2\n3,x\n")
    with pytest.raises(DataError, match=r'bad.csv, line 3: column "b" holds "x", not a number'):
        get_task("csv_series", path=str(f))
    f.write_text("1,2\n3,4,5\n")
    with pytest.raises(DataError, match=r"line 2: 3 fields, but the first row has 2"):
        get_task("csv_series", path=str(f))


def test_csv_classes_and_errors(tmp_path):
    f = tmp_path / "labels.csv"
    rows = [f"{'pos' if i % 2 else 'neg'},{'good day' if i % 2 else 'bad day'} {i}" for i in range(20)]
    f.write_text("label,text\n" + "\n".join(rows) + "\n")
    t = task_for_file(f)
    assert t.name == "csv_classes" and t.classes == ["neg", "pos"]
    assert len(t.split("train")) + len(t.split("val")) == 20
    f.write_text("label,text\npos,fine\nneg\n")
    with pytest.raises(DataError, match=r"line 3: expected 2 fields \(label, text\), found 1"):
        task_for_file(f)


def test_tsv_pairs_and_errors(tmp_path):
    f = tmp_path / "pairs.tsv"
    f.write_text("".join(f"{w}\t{w[::-1]}\n" for w in ["abc", "hello", "world", "rnn", "seq"]))
    t = task_for_file(f)
    assert t.name == "tsv_pairs" and t.architecture == "encoder-decoder"
    f.write_text("abc\tcba\nno tab here\n")
    with pytest.raises(DataError, match=r"pairs.tsv, line 2: expected 2 tab-separated fields"):
        task_for_file(f)


def test_text_file_errors(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        task_for_file(tmp_path / "missing.txt")
    f = tmp_path / "short.txt"
    f.write_text("tiny")
    with pytest.raises(DataError, match="too short"):
        task_for_file(f)
    f.write_bytes(b"hello\nworld\xff\xfe\n")
    with pytest.raises(DataError, match=r"line 2: not UTF-8"):
        task_for_file(f)


def test_registry_lists_user_file_tasks():
    assert {"csv_series", "csv_classes", "tsv_pairs", "text_lm"} <= set(TASKS)
