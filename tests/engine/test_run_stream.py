"""A run's live event stream and the run a process executes: batched at ≤ 30 Hz, nothing lost,
the newest probe trace on disk, the same steps as metrics.csv, the CLI writing the same stream,
and two machines (one process each) meeting over loopback with rank 0 streaming."""
from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from engine.document.design_file import load_design, save_design
from engine.errors import TrainingError
from engine.training.events import (
    EVENTS_FILE,
    MAX_RATE_HZ,
    TRACE_FILE,
    EventReader,
    EventWriter,
    load_trace,
    read_all,
)
from engine.training.run import RunSpec, execute

ROOT = Path(__file__).resolve().parents[2]


def small_design(path: Path, steps: int = 20, **training) -> Path:  # noqa: ANN003
    design = load_design(ROOT / "assets/examples/adding-lstm.rnnd")
    design.set_param("lstm", "hidden_size", 8)
    design.metadata["task"] = {"name": "adding", "seq_len": 10, "train_size": 128, "val_size": 32}
    design.metadata["training"] = {"lr": 0.01, "batch_size": 16, "steps": steps, "seed": 0, "eval_every": 10,
                                   "probe_every": 5, "device": "cpu", **training}
    save_design(design, path)
    return path


def step(n: int) -> dict:
    return {"step": n, "epoch": 0, "loss": 1.0 / n, "grad_norm": 0.5, "lr": 1e-3, "seconds": n * 1e-4}


def test_the_stream_is_written_at_most_30_times_a_second_and_loses_nothing(tmp_path):
    writer = EventWriter(tmp_path)
    reader = EventReader(tmp_path)
    start = time.perf_counter()
    n, reads = 0, []
    while time.perf_counter() - start < 0.5:  # steps as fast as a tiny model takes them
        n += 1
        writer.on_step(step(n))
        if n % 500 == 0:
            reads += reader.read()  # a reader following along sees whole lines only
    writer.on_validation({"step": n, "epoch": 0, "val": {"loss": 0.1}})
    writer.on_train_end({})
    elapsed = time.perf_counter() - start
    reads += reader.read()
    batches = [e for e in reads if e["type"] == "steps"]
    assert n > 200 and len(batches) <= elapsed * MAX_RATE_HZ + 2
    assert [s for b in batches for s in b["step"]] == list(range(1, n + 1))
    assert reads[-1] == {"type": "validation", "step": n, "epoch": 0, "val": {"loss": 0.1}}
    assert reads == read_all(tmp_path)


def test_a_probe_is_summarised_and_its_newest_trace_kept_on_disk(tmp_path):
    writer = EventWriter(tmp_path)
    forget = np.full((2, 5, 3), 0.25, dtype=np.float32)
    forget[1, 3:] = np.nan  # the second sequence is 3 steps long
    grad = np.ones((2, 5))
    grad[1, 3:] = np.nan
    writer.add_probe(7, {"lstm": {0: {"forward": {"forget": forget, "h": forget, "grad_norm": grad}}}})
    writer.flush(force=True)
    (probe, trace) = read_all(tmp_path)
    assert probe["type"] == "probe" and probe["keys"] == [["lstm", 0, "forward"]]
    assert probe["gate_means"] == [{"forget": 0.25}] and probe["grad_norms"] == [[1, 1, 1, 1, 1]]
    assert trace == {"type": "trace", "step": 7}
    step_, loaded = load_trace(tmp_path)
    assert step_ == 7
    np.testing.assert_array_equal(loaded["lstm"][0]["forward"]["forget"], forget)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_a_torn_last_line_waits_and_a_garbled_one_is_skipped(tmp_path):
    path = tmp_path / EVENTS_FILE
    path.write_text('{"type": "note", "text": "a"}\n{"type": "no')
    reader = EventReader(tmp_path)
    assert [e["text"] for e in reader.read()] == ["a"]
    with open(path, "a") as fh:
        fh.write('te", "text": "b"}\nnot json\n{"type": "note", "text": "c"}\n')
    assert [e["text"] for e in reader.read()] == ["b", "c"]


def test_a_run_writes_its_folder_and_the_stream_holds_the_csvs_steps(tmp_path):
    design = small_design(tmp_path / "d.rnnd", steps=20)
    out = tmp_path / "run"
    result = execute(RunSpec(design=str(design), out_dir=str(out)))
    assert result["status"] == "finished" and result["step"] == 20
    for name in ("design.rnnd", "latest.safetensors", "latest.json", "metrics.csv", EVENTS_FILE, TRACE_FILE):
        assert (out / name).exists(), name
    events = read_all(out)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    begin = events[0]
    assert begin["pid"] == os.getpid() and begin["cells"] == ["lstm"] and begin["metrics"] == ["loss", "mse"]
    assert len(begin["probe_inputs"]["titles"]) == 4
    steps = [s for e in events if e["type"] == "steps" for s in e["step"]]
    with open(out / "metrics.csv") as fh:
        csv_steps = [int(r["step"]) for r in csv.DictReader(fh) if r["loss"]]
    assert steps == csv_steps == list(range(1, 21))
    assert [e["step"] for e in events if e["type"] == "probe"] == [0, 5, 10, 15, 20]  # the untrained state first
    assert [e["step"] for e in events if e["type"] == "validation"] == [10, 20]
    end = events[-1]
    assert end["result"]["checkpoint"] == str(out / "latest.safetensors") and len(end["samples"]) == 5
    assert load_trace(out)[0] == 20


def test_continue_extends_from_the_checkpoint_with_its_optimizer_state(tmp_path):
    from engine.training.checkpoint import load_checkpoint

    design = small_design(tmp_path / "d.rnnd", steps=10)
    first, second = tmp_path / "a", tmp_path / "b"
    execute(RunSpec(design=str(design), out_dir=str(first)))
    before = load_checkpoint(first / "latest")
    result = execute(RunSpec(design=str(design), out_dir=str(second), resume=str(first / "latest.safetensors"),
                             extend=True))
    assert result["step"] == 20
    steps = [s for e in read_all(second) if e["type"] == "steps" for s in e["step"]]
    assert steps == list(range(11, 21))  # the next step, not step 1
    after = load_checkpoint(second / "latest")
    state_before = before.optimizer["state"][0]["step"]
    assert float(after.optimizer["state"][0]["step"]) == float(state_before) + 10  # Adam's count went on


def test_a_run_that_cannot_start_says_so_in_its_stream(tmp_path):
    design = small_design(tmp_path / "d.rnnd", lr=-1)
    with pytest.raises(TrainingError, match='"lr"'):
        execute(RunSpec(design=str(design), out_dir=str(tmp_path / "run")))
    (failed,) = read_all(tmp_path / "run")
    assert failed["type"] == "failed" and '"lr"' in failed["message"] and failed["touched"] is False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_nodes_of_one_process_each_meet_over_loopback_and_rank_0_streams(tmp_path):
    design = small_design(tmp_path / "d.rnnd", steps=12, eval_every=6, probe_every=6)
    out = tmp_path / "run"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    if sys.platform.startswith("linux"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    endpoint = f"127.0.0.1:{_free_port()}"
    cmd = [sys.executable, "-m", "engine.cli", "train", str(design), "--out", str(out), "--quiet", "--nproc", "1",
           "--nnodes", "2", "--rdzv-endpoint", endpoint, "--rdzv-id", "test-two-nodes"]
    nodes = [subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=240)[0] for p in nodes]
    assert [p.returncode for p in nodes] == [0, 0], "\n".join(o[-2000:] for o in outputs)
    events = read_all(out)
    begin = events[0]
    assert begin["type"] == "begin" and begin["world_size"] == 2
    assert [e["type"] for e in events].count("begin") == 1  # rank 1 wrote nothing
    steps = [s for e in events if e["type"] == "steps" for s in e["step"]]
    assert steps == list(range(1, 13)) and events[-1]["type"] == "end"
    assert json.loads((out / "latest.json").read_text())["step"] == 12


def test_an_ended_runs_summary_is_read_once_and_reread_when_its_stream_changes(tmp_path, monkeypatch):
    from engine.training import run_index

    folder = tmp_path / "run-a"
    writer = EventWriter(folder, begin={"design_name": "d", "cells": ["lstm"], "task": "adding", "main_metric": "mse"})
    writer.on_train_begin({})
    writer.on_step({"step": 1, "loss": 0.5, "grad_norm": 1.0, "seconds": 0.1, "epoch": 0, "lr": 0.001})
    writer.end({"status": "finished", "step": 1, "val": {"mse": 0.25}})
    writer.close()
    first = run_index.summarize_run(folder)
    assert (first.status, first.steps, first.value, first.cells) == ("finished", 1, 0.25, ["lstm"])
    reads = []
    real = run_index._summarize
    monkeypatch.setattr(run_index, "_summarize", lambda *a: reads.append(a) or real(*a))
    again = run_index.summarize_run(folder)
    assert again == first and not reads  # unchanged stream: the kept summary
    again.cells.append("gru")  # a caller's copy: the kept one is not touched
    assert run_index.summarize_run(folder).cells == ["lstm"]
    with open(folder / "events.jsonl", "a") as fh:  # somebody appended: read it again
        fh.write(json.dumps({"type": "end", "result": {"status": "stopped", "step": 7}}) + "\n")
    assert run_index.summarize_run(folder).status == "stopped" and len(reads) == 1
