"""The training panel's parts that need no run: the ≤ 30 Hz update feed, the time axis of the
heatmaps, the metrics CSV, and the form's lists agreeing with the engine's."""
from __future__ import annotations

import csv
import time

import numpy as np

from designer.training.heatmap import tick_stride, time_ticks
from designer.training.history import RunHistory
from designer.training.live_feed import MAX_RATE_HZ, LiveFeed, TrainingUpdate
from designer.training.settings_form import SCHEDULES, params_text, parse_params


def step(n: int) -> dict:
    return {"step": n, "epoch": 0, "loss": 1.0 / n, "grad_norm": 0.5, "lr": 1e-3, "seconds": n * 1e-4}


def test_the_feed_sends_at_most_30_updates_a_second_and_loses_nothing():
    sent: list[tuple[float, TrainingUpdate]] = []
    feed = LiveFeed(lambda u: sent.append((time.perf_counter(), u)))
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < 0.5:  # steps as fast as a tiny model takes them
        n += 1
        feed.on_step(step(n))
    feed.on_validation({"step": n, "epoch": 0, "val": {"loss": 0.1}})
    feed.on_train_end({})
    elapsed = time.perf_counter() - start
    assert n > 200  # far more steps than updates
    assert len(sent) <= elapsed * MAX_RATE_HZ + 2
    gaps = np.diff([t for t, _ in sent[:-1]])  # the last is the end-of-run flush
    assert (gaps >= 1 / MAX_RATE_HZ - 1e-3).all()
    steps = np.concatenate([u.steps for _, u in sent])
    assert steps.tolist() == list(range(1, n + 1))
    assert sent[-1][1].validations == [(n, 0, {"loss": 0.1})]


def test_a_probe_is_summarised_and_its_trace_kept():
    sent: list[TrainingUpdate] = []
    feed = LiveFeed(sent.append)
    forget = np.full((2, 5, 3), 0.25, dtype=np.float32)
    forget[1, 3:] = np.nan  # the second sequence is 3 steps long
    grad = np.ones((2, 5))
    grad[1, 3:] = np.nan
    feed.add_probe(7, {"lstm": {0: {"forward": {"forget": forget, "h": forget, "grad_norm": grad}}}})
    feed.flush()
    (update,) = sent
    summary = update.probes[0]
    assert summary.step == 7 and summary.gate_means[("lstm", 0, "forward")] == {"forget": 0.25}
    np.testing.assert_allclose(summary.grad_norms[("lstm", 0, "forward")], [1, 1, 1, 1, 1])
    assert update.trace_step == 7 and update.trace["lstm"][0]["forward"]["forget"] is forget


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
