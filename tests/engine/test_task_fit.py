"""The task is part of the check: a design that does not fit the task its metadata names says so
node by node, with the numbers and a fix; every bundled task recommends settings the trainer takes."""
from __future__ import annotations

import subprocess
import sys

import pytest

from engine.data import BUNDLED, RECOMMENDED_KEYS, TASKS, recommended_training, training_with_recommended
from engine.document.templates import template
from engine.model.check import check_design
from engine.model.compiler import compile_design


def _apply(design, fix) -> None:  # noqa: ANN001
    for change in fix.changes:
        design.set_param(change.node_id, change.param, change.value)


def test_every_template_fits_its_own_task_without_errors():
    for arch in ("one-to-many", "many-to-one", "many-to-many", "encoder-decoder"):
        report = check_design(template(arch))
        assert report.ok, (arch, [str(p) for p in report.errors])


def test_a_too_small_vocabulary_is_an_error_naming_the_node_and_both_numbers_with_a_fix():
    design = template("encoder-decoder")
    design.set_param("source", "vocab_size", 32)
    report = check_design(design)
    [problem] = [p for p in report.errors if p.node_id == "source"]
    assert problem.section == "task"
    assert problem.message.startswith('node "source": task "dates" has 62 input tokens')
    assert "vocab_size is 32" in problem.message
    assert problem.fix is not None and problem.fix.label == "set vocab_size to 62"
    _apply(design, problem.fix)
    assert check_design(design).ok
    assert design.nodes["source"].params["vocab_size"] == 62


def test_a_too_large_count_is_a_warning_and_a_missing_task_too():
    design = template("encoder-decoder", src_vocab=64)
    report = check_design(design)  # vocab_size 64 for 62 tokens
    [warning] = [p for p in report.warnings if p.node_id == "source"]
    assert "2 are never used" in warning.message and warning.fix.label == "set vocab_size to 62"
    design.set_metadata("task", None)
    report = check_design(design)
    assert report.ok and any("names no task" in p.message for p in report.warnings)


def test_a_decoder_too_small_for_the_task_moves_its_head_with_it():
    design = template("encoder-decoder")
    design.set_param("decoder", "vocab_size", 12)
    design.set_param("head", "num_classes", 12)
    report = check_design(design)
    decoder = next(p for p in report.errors if p.node_id == "decoder")
    assert "15 output tokens" in decoder.message and "vocab_size is 12" in decoder.message
    assert {(c.node_id, c.param, c.value) for c in decoder.fix.changes} == {("decoder", "vocab_size", 15),
                                                                           ("head", "num_classes", 15)}
    _apply(design, decoder.fix)
    assert check_design(design).ok


def test_a_head_that_does_not_match_its_decoder_offers_the_decoders_size():
    design = template("encoder-decoder")
    design.set_param("head", "num_classes", 20)
    mismatch = next(p for p in check_design(design).errors if "make them equal" in p.message)
    assert mismatch.fix.label == "set num_classes to 15"
    _apply(design, mismatch.fix)
    assert check_design(design).ok


def test_the_wrong_architecture_and_kinds_are_named():
    design = template("many-to-one")
    design.set_metadata("task", {"name": "dates"})
    messages = [p.message for p in check_design(design).errors]
    assert any(m.startswith('task "dates" is encoder-decoder, but the design is many-to-one') for m in messages)
    assert any('node "input" is a real sequence' in m for m in messages)


def test_a_task_that_cannot_be_built_is_an_error_but_the_model_still_compiles(tmp_path):
    design = template("many-to-one", hidden_size=4)
    design.set_metadata("task", {"name": "csv_series", "path": str(tmp_path / "gone.csv")})
    report = check_design(design)
    [problem] = report.task_problems
    assert problem.severity == "error" and "gone.csv" in problem.message
    assert not report.ok and report.compiles
    compile_design(design)  # trained with --task or --data, it still builds


def test_checking_a_design_with_a_task_imports_no_torch():
    code = ("import sys; from engine.document.templates import template; from engine.model.check import check_design; "
            "d = template('encoder-decoder'); d.set_param('source', 'vocab_size', 8); "
            "r = check_design(d); assert any(p.fix for p in r.errors); "
            "import engine.data as data; [data.get_task(n).describe() for n in data.BUNDLED]; "
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_task_recommends_settings_the_trainer_takes(name):
    from engine.training.trainer import TrainSettings

    recommended = recommended_training(name)
    assert {"steps", "batch_size", "lr", "lr_schedule", "clip", "probe_every"} <= set(recommended)
    assert set(recommended) <= set(RECOMMENDED_KEYS)
    TrainSettings.from_dict(recommended)  # valid, and only known keys
    assert recommended is not TASKS[name].recommended  # a copy: editing it changes no task


def test_picking_a_task_replaces_what_it_recommends_and_keeps_the_rest():
    mine = {"lr": 1.0, "steps": 7, "seed": 5, "device": "cpu", "patience": 3}
    picked = training_with_recommended("dates", mine)
    assert picked["lr"] == 3e-3 and picked["steps"] == 5000 and picked["lr_schedule"] == "cosine"
    assert (picked["seed"], picked["device"], picked["patience"]) == (5, "cpu", 3)


def test_size_mismatches_between_connected_blocks_offer_a_fix():
    design = template("encoder-decoder")
    design.set_param("decoder", "hidden_size", 64)
    [problem] = check_design(design).errors
    assert problem.node_id == "decoder" and problem.fix.label == "set bridge's hidden_size to 64"
    _apply(design, problem.fix)
    assert check_design(design).ok

    design = template("encoder-decoder")
    design.set_param("bridge", "mode", "copy")  # the bidirectional encoder gives 256, not 128
    [problem] = check_design(design).errors
    assert problem.fix.label == "set mode to project"
    _apply(design, problem.fix)
    assert check_design(design).ok
