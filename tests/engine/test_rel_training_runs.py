"""Runs that go wrong: "last good" means finite metrics, a diverging run is said to diverge, and
Ctrl+C saves at the interrupt and says how to resume (issue 14, "Checkpoints")."""
from __future__ import annotations

import math
import signal
from pathlib import Path

import pytest
import torch

from engine.data import get_task
from engine.document.design_file import save_design
from engine.document.templates import template
from engine.errors import TrainingError
from engine.training.checkpoint import load_checkpoint, read_sidecar
from engine.training.divergence import DivergenceWatch
from engine.training.trainer import Callback, Trainer, TrainSettings, build_model


def _adding():
    return get_task("adding", seq_len=10, train_size=128, val_size=32)


class BlowUpAt(Callback):
    """Multiplies the head's weights by 1e30 after step ``step``: the next validation is inf."""

    def __init__(self, model: torch.nn.Module, step: int) -> None:
        self.model, self.step = model, step

    def on_step(self, m: dict) -> None:
        if m["step"] == self.step:
            with torch.no_grad():
                for p in self.model.block("head").parameters():
                    p.mul_(1e30)


def test_the_last_good_checkpoint_has_finite_metrics(tmp_path: Path) -> None:
    design = template("many-to-one", cell="gru", hidden_size=8)
    model = build_model(design)
    settings = TrainSettings(batch_size=16, steps=20, eval_every=2, probe_every=0, out_dir=str(tmp_path))
    with pytest.raises(TrainingError) as err:
        Trainer(model, _adding(), settings, design=design, callbacks=[BlowUpAt(model, 4)]).run()
    assert f"the last good checkpoint is {tmp_path / 'latest.safetensors'}" in str(err.value)
    latest = read_sidecar(tmp_path / "latest")
    assert latest["step"] == 2 and all(math.isfinite(v) for v in latest["metrics"].values())
    diverged = read_sidecar(tmp_path / "diverged")  # kept to look at, never taken for the last good one
    assert diverged["step"] == 4 and not math.isfinite(diverged["metrics"]["mse"])
    load_checkpoint(tmp_path / "latest", design=design, model=build_model(design))


def test_a_run_that_diverges_while_staying_finite_says_so() -> None:
    design = template("many-to-one", cell="gru", hidden_size=8)
    task = get_task("adding", seq_len=6, train_size=64, val_size=16)
    settings = TrainSettings(lr=1e6, clip=0, batch_size=16, steps=12, probe_every=0)
    result = Trainer(build_model(design), task, settings, design=design).run()
    assert result["status"] == "finished"
    assert any("the run diverged" in w and "lower the learning rate (now 1e+06)" in w for w in result["warnings"])
    calm = Trainer(build_model(design), task, TrainSettings(lr=0.01, batch_size=16, steps=12, probe_every=0),
                   design=design).run()
    assert calm["warnings"] == []


def test_divergence_watch_needs_a_rise_not_noise() -> None:
    watch = DivergenceWatch()
    for loss in [1.0, 0.9, 1.2, 0.8, 1.1, 0.95, 1.3, 0.7]:
        watch.add(loss)
    assert watch.diverged() is None
    for _ in range(20):
        watch.add(50.0)
    assert watch.diverged() == (1.0, 50.0)
    assert "diverged" in watch.warnings({"mse": float("inf")}, 0.1)[1]


class InterruptAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step(self, m: dict) -> None:
        if m["step"] == self.step:
            signal.raise_signal(signal.SIGINT)  # what Ctrl+C in the terminal does


def test_ctrl_c_saves_at_the_interrupt(tmp_path: Path) -> None:
    design = template("many-to-one", cell="gru", hidden_size=8)
    settings = TrainSettings(batch_size=16, steps=200, eval_every=50, probe_every=0, out_dir=str(tmp_path))
    result = Trainer(build_model(design), _adding(), settings, design=design, callbacks=[InterruptAt(7)]).run()
    assert result["status"] == "interrupted" and result["step"] == 7
    assert read_sidecar(tmp_path / "latest")["step"] == 7  # not the last validation's step 0 or 50
    assert result["checkpoint"] == str(tmp_path / "latest.safetensors")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_cli_ctrl_c_says_what_was_kept_and_how_to_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.cli.main import main as cli_main
    from engine.training import trainer as trainer_module

    design = template("many-to-one", cell="gru", hidden_size=8)
    design.set_metadata("task", {"name": "adding", "seq_len": 10, "train_size": 128, "val_size": 32})
    path = tmp_path / "d.rnnd"
    save_design(design, path)
    real_init = trainer_module.Trainer.__init__

    def init(self, *args, callbacks=(), **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        real_init(self, *args, callbacks=[*callbacks, InterruptAt(5)], **kwargs)

    monkeypatch.setattr(trainer_module.Trainer, "__init__", init)
    out = tmp_path / "run"
    code = cli_main(["train", str(path), "--steps", "100", "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert code == 130
    text = captured.out + captured.err
    assert "interrupted at step 5" in text and str(out / "latest.safetensors") in text
    assert f"--resume {out / 'latest.safetensors'}" in text
    assert read_sidecar(out / "latest")["step"] == 5
