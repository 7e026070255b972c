"""Checkpoint pairs that cannot lie: the sidecar records its weights' hash and step, every field is
type-checked, tensors must fit, and a writer killed mid-save never leaves a pair that is accepted
but mismatched (issue 14, "Checkpoints")."""
from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from engine.document.templates import template
from engine.errors import CheckpointError
from engine.training.checkpoint import copy_checkpoint, load_checkpoint, read_sidecar, save_checkpoint
from engine.training.trainer import build_model


def _saved(tmp_path: Path, name: str = "c", step: int = 3) -> tuple[Any, Any, Path]:
    design = template("many-to-one", cell="lstm", hidden_size=8)
    model = build_model(design, 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.rand(4, 5, 2)).sum().backward()
    opt.step()
    save_checkpoint(tmp_path / name, model, design=design, optimizer=opt, step=step, epoch=1,
                    task={"name": "adding"}, metrics={"mse": 0.1})
    return design, model, tmp_path / name


def _edit_sidecar(base: Path, edit) -> None:  # noqa: ANN001
    path = base.with_suffix(".json")
    meta = json.loads(path.read_text())
    edit(meta)
    path.write_text(json.dumps(meta))


def _edit_tensors(base: Path, edit) -> None:  # noqa: ANN001
    """Change the tensors and re-record their hash, so the check under test is the one that fires."""
    weights = base.with_suffix(".safetensors")
    tensors = dict(load_tensors(weights.read_bytes()))
    edit(tensors)
    blob = save_tensors(tensors, metadata={"format": "rnn-designer-checkpoint", "step": "3"})
    weights.write_bytes(blob)
    _edit_sidecar(base, lambda m: m.update(weights_sha256=hashlib.sha256(blob).hexdigest()))


def test_weights_of_another_save_beside_the_sidecar_use_their_own_record(tmp_path: Path) -> None:
    design, _, base = _saved(tmp_path, "latest", step=3)
    _saved(tmp_path, "next", step=4)
    os.replace(tmp_path / "next.safetensors", tmp_path / "latest.safetensors")  # killed between the two renames
    ckpt = load_checkpoint(tmp_path / "latest", design=design, model=build_model(design))
    assert ckpt.step == 4 and "latest.json was of step 3, the weights of step 4" in ckpt.meta["recovered"]
    assert read_sidecar(tmp_path / "latest")["step"] == 4  # the stale sidecar was rewritten from the record
    load_checkpoint(tmp_path / "latest", design=design)  # and the pair now checks on its own


def test_weights_of_another_save_without_a_record_are_refused(tmp_path: Path) -> None:
    design, _, base = _saved(tmp_path, "latest", step=3)
    blob = (tmp_path / "latest.safetensors").read_bytes()
    tensors = dict(load_tensors(blob))
    (tmp_path / "latest.safetensors").write_bytes(save_tensors(tensors, metadata={"step": "9"}))  # foreign weights
    with pytest.raises(CheckpointError, match=r"these weights \(step 9\) are not the ones its sidecar latest.json "
                                              r"describes \(step 3\).*stopped while saving"):
        load_checkpoint(tmp_path / "latest", design=design)
    assert len(read_sidecar(tmp_path / "latest")["weights_sha256"]) == 64


BAD_FIELDS = [
    (lambda m: m.update(step="abc"), '"step": expected a whole number'),
    (lambda m: m.update(step=-2), '"step": must be at least 0'),
    (lambda m: m.update(version="x"), '"version": expected a whole number'),
    (lambda m: m.update(design=[1, 2]), '"design": expected an object'),
    (lambda m: m.update(epoch=[1]), '"epoch": expected a whole number'),
    (lambda m: m.update(metrics={"mse": "low"}), '"metrics": entry "mse": expected a number'),
    (lambda m: m.update(task="adding"), '"task": expected an object'),
    (lambda m: m.update(best="good"), '"best": expected a number'),
    (lambda m: m.update(vocabs={"source": {"tokens": "abc"}}), '"vocabs": entry "source.tokens"'),
    (lambda m: m["optimizer"].update(param_groups=[{"params": "all"}]), r'"optimizer.param_groups\[0\].params"'),
    (lambda m: m["optimizer"]["param_groups"][0].update(lr="fast"), r'"optimizer.param_groups\[0\].lr"'),
    (lambda m: m["optimizer"]["param_groups"][0].update(betas=[0.9]), r'"optimizer.param_groups\[0\].betas"'),
    (lambda m: m["optimizer"].update(param_groups=[{"params": [0, 1]}, {"params": [1]}]),
     r'"optimizer.param_groups\[1\].params": parameter 1 is in two groups'),
    (lambda m: m.pop("weights_sha256"), '"weights_sha256": missing'),
]


@pytest.mark.parametrize("edit, words", BAD_FIELDS)
def test_every_malformed_sidecar_field_is_named(tmp_path: Path, edit, words: str) -> None:  # noqa: ANN001
    design, model, base = _saved(tmp_path)
    _edit_sidecar(base, edit)
    with pytest.raises(CheckpointError, match=f"c.json: field {words}"):
        load_checkpoint(base, design=design, model=model)


def test_a_sidecar_without_a_design_hash_is_not_waved_through(tmp_path: Path) -> None:
    design, model, base = _saved(tmp_path)
    _edit_sidecar(base, lambda m: m.update(design_hash=None))
    with pytest.raises(CheckpointError, match=r'field "design_hash" is empty'):
        load_checkpoint(base, design=design, model=model)


def test_tensors_that_do_not_fit_are_refused_before_a_step_crashes(tmp_path: Path) -> None:
    design, model, base = _saved(tmp_path)
    _edit_tensors(base, lambda t: t.update({"rng/torch": torch.zeros(5, dtype=torch.uint8)}))
    with pytest.raises(CheckpointError, match=r'"rng/torch" is not a random generator state \(5 uint8'):
        load_checkpoint(base, design=design)

    _, _, base = _saved(tmp_path, "d")
    key = next(k for k in load_tensors((tmp_path / "d.safetensors").read_bytes()) if k.endswith("/exp_avg"))
    _edit_tensors(base, lambda t: t.update({key: torch.zeros(3, 3)}))
    with pytest.raises(CheckpointError, match=rf'"{key}" has shape \(3, 3\), but its parameter has'):
        load_checkpoint(base, design=design, model=build_model(design))


def test_resuming_on_another_task_names_the_task_field(tmp_path: Path) -> None:
    from engine.data import get_task
    from engine.training.trainer import Trainer, TrainSettings

    design, _, base = _saved(tmp_path)
    design.set_metadata("task", {"name": "adding", "seq_len": 10, "train_size": 64, "val_size": 32})
    _edit_sidecar(base, lambda m: m.update(task={"name": "reber"}))
    task = get_task("adding", seq_len=10, train_size=64, val_size=32)
    with pytest.raises(CheckpointError, match=r'field "task": it was trained on task "reber", not "adding"'):
        Trainer(build_model(design), task, TrainSettings(steps=1), design=design, resume=base)


def test_a_copied_checkpoint_is_a_checked_pair(tmp_path: Path) -> None:
    design, model, base = _saved(tmp_path)
    copied = copy_checkpoint(base, tmp_path / "elsewhere" / "kept")
    ckpt = load_checkpoint(copied, design=design, model=build_model(design))
    assert ckpt.step == 3 and read_sidecar(copied)["weights"] == "kept.safetensors"


def _save_forever(path: Path) -> None:
    """The child: save ever newer checkpoints whose weights spell their step."""
    model = torch.nn.Linear(64, 64)
    step = 0
    while True:
        step += 1
        with torch.no_grad():
            model.weight.fill_(step)
        save_checkpoint(path, model, step=step)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork() to kill a writer quickly")
def test_writers_killed_while_saving_never_leave_an_accepted_mismatched_pair(tmp_path: Path) -> None:
    """20 writers killed with SIGKILL at random moments (bench/reliability.py kills 100 trainings)."""
    rng = random.Random(14)
    accepted = refused = 0
    for trial in range(20):
        path = tmp_path / f"t{trial}" / "latest"
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            try:
                _save_forever(path)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.05, 0.25))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        try:
            ckpt = load_checkpoint(path)
        except CheckpointError:
            refused += 1
            continue
        accepted += 1
        assert float(ckpt.model["weight"][0, 0]) == ckpt.step  # the weights are the sidecar's step
    assert accepted + refused == 20 and accepted > 0
