"""Checkpoints: safetensors + JSON sidecar, round trip, and refusal of another design's weights."""
from __future__ import annotations

import json

import pytest
import torch

from engine.document.templates import template
from engine.errors import CheckpointError
from engine.training.checkpoint import load_checkpoint, paths_of, read_sidecar, save_checkpoint
from engine.training.trainer import build_model


def _trained_optimizer(model):
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x = torch.rand(4, 5, 2)
    model(x).sum().backward()
    opt.step()
    return opt


def test_round_trip_restores_weights_optimizer_and_rng(tmp_path):
    design = template("many-to-one", cell="lstm", hidden_size=8)
    model = build_model(design, 1)
    opt = _trained_optimizer(model)
    rng = torch.get_rng_state()
    path = save_checkpoint(tmp_path / "best", model, design=design, optimizer=opt, step=7, epoch=2,
                           metrics={"mse": 0.1}, settings={"lr": 0.01}, task={"name": "adding"})
    assert path == tmp_path / "best.safetensors" and (tmp_path / "best.json").exists()
    meta = read_sidecar(tmp_path / "best.json")
    assert meta["design_hash"] == design.structure_hash() and meta["step"] == 7 and meta["metrics"] == {"mse": 0.1}

    other = build_model(design, 2)
    ckpt = load_checkpoint(tmp_path / "best", design=design, model=other)
    for a, b in zip(model.state_dict().values(), other.state_dict().values()):
        assert torch.equal(a, b)
    opt2 = torch.optim.Adam(other.parameters(), lr=0.01)
    opt2.load_state_dict(ckpt.optimizer)
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert s1.keys() == s2.keys()
    for k in s1:
        assert torch.equal(s1[k]["exp_avg"], s2[k]["exp_avg"])
    assert torch.equal(ckpt.rng["torch"], rng)


def test_a_checkpoint_of_another_design_is_refused_with_the_differences(tmp_path):
    design = template("many-to-one", cell="lstm", hidden_size=8)
    save_checkpoint(tmp_path / "c", build_model(design), design=design)
    bigger = template("many-to-one", cell="lstm", hidden_size=16)
    with pytest.raises(CheckpointError, match=r'node "lstm" parameter "hidden_size" is 8 there, 16 here'):
        load_checkpoint(tmp_path / "c.safetensors", design=bigger)
    # moving a node on the canvas changes nothing that matters
    moved = template("many-to-one", cell="lstm", hidden_size=8)
    moved.move_node("lstm", (500, 500))
    load_checkpoint(tmp_path / "c", design=moved)


def test_unreadable_checkpoints_say_why(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "missing")
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"x.json, line 1: not valid JSON"):
        read_sidecar(tmp_path / "x")
    (tmp_path / "y.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(CheckpointError, match="not an RNN Designer checkpoint"):
        read_sidecar(tmp_path / "y.safetensors")
    design = template("many-to-one", hidden_size=8)
    save_checkpoint(tmp_path / "z", build_model(design), design=design)
    (tmp_path / "z.safetensors").write_bytes(b"\x80\x04garbage that a pickle loader might run")
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_checkpoint(tmp_path / "z")


def test_run_folder_means_its_latest_checkpoint(tmp_path):
    assert paths_of(tmp_path) == (tmp_path / "latest.safetensors", tmp_path / "latest.json")
