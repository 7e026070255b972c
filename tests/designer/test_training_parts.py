"""The training panel's parts that need no run: the feed that reads a run's stream, the time axis of the
heatmaps, the metrics CSV, and the form's lists agreeing with the engine's."""
from __future__ import annotations

import csv

import numpy as np

from designer.training.heatmap import tick_stride, time_ticks
from designer.training.history import RunHistory
from designer.training.live_feed import LiveFeed, TrainingUpdate
from designer.training.settings_form import SCHEDULES, params_text, parse_params
from engine.training.events import EventWriter


def step(n: int) -> dict:
    return {"step": n, "epoch": 0, "loss": 1.0 / n, "grad_norm": 0.5, "lr": 1e-3, "seconds": n * 1e-4}


def test_the_feed_folds_what_the_stream_appended_into_one_update(tmp_path):
    """The run's side batches at <= 30 Hz (tests/engine/test_run_stream.py); the window's side
    reads whatever was appended since its last look as one update of numpy arrays."""
    writer = EventWriter(tmp_path)
    feed = LiveFeed(tmp_path)
    assert feed.poll().update is None  # nothing yet
    writer.on_train_begin({"total_steps": 9})
    forget = np.full((2, 5, 3), 0.25, dtype=np.float32)
    for n in range(1, 10):
        writer.on_step(step(n))
        if n % 3 == 0:
            writer.add_probe(n, {"lstm": {0: {"forward": {"forget": forget * n, "h": forget}}}})
    writer.on_validation({"step": 9, "epoch": 0, "val": {"loss": 0.1}})
    writer.end({"status": "finished", "step": 9})
    batch = feed.poll()
    update = batch.update
    assert batch.begin["total_steps"] == 9 and batch.end["result"]["status"] == "finished"
    assert update.steps.tolist() == list(range(1, 10)) and update.steps.dtype == np.int64
    np.testing.assert_allclose(update.losses, [1.0 / n for n in range(1, 10)])
    assert [p.step for p in update.probes] == [3, 6, 9]
    assert update.probes[1].gate_means[("lstm", 0, "forward")] == {"forget": 1.5}
    assert update.trace_step == 9  # only the newest trace is loaded
    np.testing.assert_allclose(update.trace["lstm"][0]["forward"]["forget"], forget * 9)
    assert update.validations == [(9, 0, {"loss": 0.1})]
    assert feed.finished and feed.poll().update is None


def test_time_ticks_keep_marked_steps_and_do_not_crowd():
    labels = [str(t) for t in range(100)]
    assert tick_stride(100, 200, 2) > 1
    ticks = time_ticks(labels, 100, 200, emphasis={33, 71})
    positions = [p - 0.5 for p, _ in ticks]
    assert 33 in positions and 71 in positions
    gaps = np.diff(positions)
    assert gaps.min() >= 1 and len(ticks) < 30
    assert time_ticks(list("abc"), 3, 600) == [(0.5, "a"), (1.5, "b"), (2.5, "c")]


def test_metrics_csv_has_the_cli_columns_in_step_order(tmp_path):
    history = RunHistory()
    history.add(TrainingUpdate(np.array([1, 2]), np.array([0.5, 0.4]), np.array([1.0, 0.9]), np.array([0.1, 0.2]),
                               np.array([0, 0]), 0.01, [(2, 0, {"loss": 0.45, "mse": 0.45})]))
    history.add(TrainingUpdate(np.array([3]), np.array([0.3]), np.array([0.8]), np.array([0.3]), np.array([0]), 0.01))
    rows = list(csv.DictReader(open(history.write_csv(tmp_path / "m.csv", ["loss", "mse"]), encoding="utf-8")))
    assert [r["step"] for r in rows] == ["1", "2", "2", "3"]
    assert rows[2]["val_mse"] == "0.45" and rows[2]["loss"] == ""
    assert rows[3]["loss"] == "0.3" and rows[3]["lr"] == "0.01"


def test_the_forms_schedules_are_the_engines():
    from engine.training.trainer import SCHEDULES as ENGINE_SCHEDULES

    assert tuple(SCHEDULES) == tuple(ENGINE_SCHEDULES)


def test_task_parameters_read_as_typed_values():
    params = parse_params("seq_len=50, train_size=2000 val_fraction=0.1 words=true")
    assert params == {"seq_len": 50, "train_size": 2000, "val_fraction": 0.1, "words": True}
    assert parse_params(params_text(params)) == params
