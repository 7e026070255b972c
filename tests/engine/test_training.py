"""The Trainer on real compiled designs: short smoke runs (loss falls), callbacks, stop and pause,
early stopping, NaN handling, resume, refusing a design that does not fit its task, the CLI."""
from __future__ import annotations

import csv
import math
import threading

import pytest
import torch

from engine.cli.main import main as cli_main
from engine.data import get_task
from engine.data.batch import Batch
from engine.data.synthetic import AddingProblem
from engine.document.design_file import save_design
from engine.document.templates import template
from engine.errors import TrainingError
from engine.training.trainer import Callback, Trainer, TrainSettings, build_model, evaluate, train_design


class Recorder(Callback):
    def __init__(self):
        self.steps, self.probes, self.vals, self.epochs, self.begin, self.end = [], [], [], [], None, None

    def on_train_begin(self, info):
        self.begin = info

    def on_step(self, m):
        self.steps.append(m)

    def on_probe(self, e):
        self.probes.append(e)

    def on_validation(self, s):
        self.vals.append(s)

    def on_epoch_end(self, s):
        self.epochs.append(s)

    def on_train_end(self, r):
        self.end = r


def _mean(xs):
    return sum(xs) / len(xs)


def _adding(**kw):
    return get_task("adding", **{"seq_len": 10, "train_size": 256, "val_size": 64, **kw})


def test_smoke_many_to_one_loss_falls_and_callbacks_fire(tmp_path):
    design = template("many-to-one", cell="lstm", hidden_size=16)
    rec = Recorder()
    settings = TrainSettings(lr=0.01, batch_size=32, epochs=5, probe_every=10, out_dir=str(tmp_path))
    result = Trainer(build_model(design), _adding(), settings, design=design, callbacks=[rec]).run()
    assert result["status"] == "finished" and result["step"] == 40 == len(rec.steps)
    losses = [m["loss"] for m in rec.steps]
    assert _mean(losses[-8:]) < 0.5 * _mean(losses[:8])
    assert [e["epoch"] for e in rec.epochs] == [1, 2, 3, 4, 5]
    assert len(rec.probes) == 4 and "lstm" in rec.probes[0]["trace"]
    assert rec.begin["steps_per_epoch"] == 8 and rec.end == result
    assert result["val"]["mse"] < 0.16
    assert {p.name for p in tmp_path.iterdir()} >= {"best.safetensors", "best.json", "latest.safetensors",
                                                      "latest.json", "metrics.csv"}
    rows = list(csv.DictReader(open(tmp_path / "metrics.csv")))
    assert rows[0]["loss"] and not rows[0]["val_mse"]
    assert sum(1 for r in rows if r["val_mse"]) == 5


@pytest.mark.parametrize("arch,task,params", [
    ("many-to-many", "reber", {"train_size": 256, "val_size": 64}),
    ("encoder-decoder", "dates", {"train_size": 256, "val_size": 64}),
    ("one-to-many", "spell_numbers", {"max_number": 20, "repeat": 8}),
])
def test_smoke_other_architectures(arch, task, params):
    extra = {"hidden_size": 32}
    if arch == "one-to-many":
        extra.update(num_classes=21, tgt_vocab=25, max_len=14)
    design = template(arch, **extra)
    t = get_task(task, **params)
    rec = Recorder()
    settings = TrainSettings(lr=0.01, batch_size=16, steps=30, eval_every=30, probe_every=15)
    result = Trainer(build_model(design), t, settings, design=design, callbacks=[rec]).run()
    losses = [m["loss"] for m in rec.steps]
    assert _mean(losses[-5:]) < _mean(losses[:5])
    assert set(result["val"]) == set(t.metrics)
    assert len(rec.probes) == 2


def test_design_that_does_not_fit_the_task_is_refused_by_node_and_parameter():
    design = template("many-to-one", cell="gru", features=3)
    with pytest.raises(TrainingError, match=r'node "input": task "adding" has 2 features per step .*features is 3'):
        Trainer(build_model(design), _adding(), TrainSettings(), design=design)


def test_stop_is_honoured_within_one_batch():
    design = template("many-to-one", cell="gru", hidden_size=8)
    holder = {}

    class StopAt3(Callback):
        def on_step(self, m):
            if m["step"] == 3:
                holder["t"].stop()

    t = Trainer(build_model(design), _adding(), TrainSettings(epochs=3, probe_every=0), design=design,
                callbacks=[StopAt3()])
    holder["t"] = t
    result = t.run()
    assert result["status"] == "stopped" and result["step"] == 3
    assert "mse" in result["val"]  # the run still reports where it stopped


def test_pause_holds_the_run_between_batches():
    design = template("many-to-one", cell="gru", hidden_size=8)
    paused, _go_on = threading.Event(), threading.Event()
    holder = {}

    class PauseAt2(Callback):
        def on_step(self, m):
            if m["step"] == 2:
                holder["t"].pause()
                paused.set()

    t = Trainer(build_model(design), _adding(), TrainSettings(steps=5, probe_every=0), design=design,
                callbacks=[PauseAt2()])
    holder["t"] = t
    worker = threading.Thread(target=lambda: holder.setdefault("result", t.run()))
    worker.start()
    assert paused.wait(30)
    worker.join(0.3)
    assert worker.is_alive() and t.step == 2 and t.paused
    t.resume()
    worker.join(30)
    assert not worker.is_alive() and holder["result"]["step"] == 5


def test_early_stopping_when_validation_stops_improving():
    design = template("many-to-one", cell="gru", hidden_size=8)
    settings = TrainSettings(optimizer="sgd", lr=1e-30, momentum=0.0, epochs=10, patience=2, probe_every=0)
    result = Trainer(build_model(design), _adding(), settings, design=design).run()
    assert result["status"] == "early_stopped" and result["epoch"] == 3


class NaNAfterFirstEpoch(AddingProblem):
    def split(self, split, epoch=0):
        b = super().split(split, epoch)
        if split == "train" and epoch >= 1:
            b = Batch(torch.full_like(b.x, float("nan")), b.y)
        return b


def test_nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path):
    from engine.training.checkpoint import read_sidecar

    design = template("many-to-one", cell="lstm", hidden_size=8)
    task = NaNAfterFirstEpoch(seq_len=10, train_size=64, val_size=32)
    settings = TrainSettings(batch_size=16, epochs=3, probe_every=0, out_dir=str(tmp_path))
    with pytest.raises(TrainingError) as err:
        Trainer(build_model(design), task, settings, design=design).run()
    msg = str(err.value)
    assert "step 5 (epoch 2)" in msg and "the loss became nan" in msg
    assert str(tmp_path / "latest.safetensors") in msg and "learning rate" in msg
    assert read_sidecar(tmp_path / "latest")["step"] == 4
    from engine.training.checkpoint import load_checkpoint

    ckpt = load_checkpoint(tmp_path / "latest", design=design)
    assert all(torch.isfinite(v).all() for v in ckpt.model.values())


def test_resume_continues_exactly_where_the_run_left_off(tmp_path):
    design = template("many-to-many", cell="lstm", hidden_size=8, dropout=0.0)
    task = get_task("reber", train_size=96, val_size=16)

    def settings(steps, out):
        return TrainSettings(lr=0.01, batch_size=16, steps=steps, eval_every=5, probe_every=0, seed=3, out_dir=out)

    straight = build_model(design, 3)
    Trainer(straight, task, settings(15, str(tmp_path / "a")), design=design).run()
    first = build_model(design, 3)
    Trainer(first, task, settings(10, str(tmp_path / "b")), design=design).run()  # stops mid-epoch 2
    resumed = build_model(design, 99)  # different start weights: the checkpoint replaces them
    t = Trainer(resumed, task, settings(15, str(tmp_path / "b")), design=design, resume=tmp_path / "b" / "latest")
    assert t.step == 10
    result = t.run()
    assert result["step"] == 15
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name


def test_settings_from_metadata_and_bad_values():
    s = TrainSettings.from_dict({"optimizer": "adam", "lr": 0.003, "batch_size": 64, "steps": 3000, "clip": 1.0,
                                 "seed": 0}, seed=5)
    assert s.seed == 5 and s.steps == 3000
    with pytest.raises(TrainingError, match="unknown training setting"):
        TrainSettings.from_dict({"learning_rate": 0.1})
    with pytest.raises(TrainingError, match='"optimizer"'):
        TrainSettings.from_dict({"optimizer": "rmsprop"})
    if not torch.cuda.is_available():
        with pytest.raises(TrainingError, match="no CUDA GPU"):
            Trainer(build_model(template("many-to-one")), _adding(), TrainSettings(device="cuda"))


def test_train_design_reads_task_and_settings_from_metadata():
    design = template("many-to-many", cell="gru", hidden_size=8)
    design.set_metadata("task", {"name": "reber", "train_size": 64, "val_size": 16})
    design.set_metadata("training", {"lr": 0.01, "batch_size": 16, "steps": 6, "probe_every": 0})
    result = train_design(design)
    assert result["step"] == 6 and "long_range_accuracy" in result["val"]


def test_evaluate_scores_every_task_metric():
    design = template("encoder-decoder", hidden_size=8)
    task = get_task("dates", train_size=8, val_size=20)
    metrics = evaluate(build_model(design), task, batch_size=8)
    assert set(metrics) == {"loss", "token_accuracy", "exact_match"}
    assert 0.0 <= metrics["exact_match"] <= 1.0


def test_cli_train_then_eval(tmp_path, capsys):
    design = template("many-to-one", cell="gru", hidden_size=8)
    design.set_metadata("task", {"name": "adding", "seq_len": 10, "train_size": 64, "val_size": 32})
    path = tmp_path / "d.rnnd"
    save_design(design, path)
    out = tmp_path / "run"
    rc = cli_main(["train", str(path), "--epochs", "2", "--batch-size", "16", "--out", str(out), "--device", "cpu"])
    printed = capsys.readouterr().out
    assert rc == 0, printed
    assert "finished: step 8" in printed and "mse" in printed
    rc = cli_main(["eval", str(path), "--checkpoint", str(out / "best.safetensors"), "--json"])
    assert rc == 0
    assert '"mse"' in capsys.readouterr().out
    rc = cli_main(["train", str(path), "--task", "reber", "--steps", "2", "--out", str(tmp_path / "x")])
    assert rc == 1
    assert 'does not fit task "reber"' in capsys.readouterr().err
    rc = cli_main(["train", str(path), "--task-param", "seq_len=2", "--task-param", "bogus=1", "--steps", "1"])
    assert rc == 1 and "bogus" in capsys.readouterr().err


def test_tensorboard_logging_writes_events_or_says_what_to_install(tmp_path):
    design = template("many-to-one", cell="gru", hidden_size=8)
    settings = TrainSettings(steps=3, probe_every=0, out_dir=str(tmp_path), tensorboard=True)
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        with pytest.raises(TrainingError, match=r"pip install 'rnn-designer\[tensorboard\]'"):
            Trainer(build_model(design), _adding(), settings, design=design).run()
    else:
        Trainer(build_model(design), _adding(), settings, design=design).run()
        assert any((tmp_path / "tensorboard").iterdir())


def test_learning_rate_schedules():
    design = template("many-to-one", cell="gru", hidden_size=8)
    rec = Recorder()
    Trainer(build_model(design), _adding(), TrainSettings(lr=0.01, steps=10, lr_schedule="cosine", probe_every=0),
            design=design, callbacks=[rec]).run()
    lrs = [m["lr"] for m in rec.steps]
    assert lrs[0] == pytest.approx(0.01) and lrs[-1] == pytest.approx(0.01 * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * 0.9))))
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    rec = Recorder()
    settings = TrainSettings(optimizer="sgd", lr=1e-30, momentum=0.0, epochs=3, lr_schedule="plateau", probe_every=0)
    Trainer(build_model(design), _adding(), settings, design=design, callbacks=[rec]).run()
    per_epoch = [rec.steps[i]["lr"] for i in (0, 8, 16)]
    assert per_epoch == pytest.approx([1e-30, 1e-30, 0.5e-30])  # halved after the validation that did not improve
