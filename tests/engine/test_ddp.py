"""Data-parallel training: two CPU processes under torchrun (gloo over loopback).

The test runs this file as the torchrun worker; each process starts from different weights
(DistributedDataParallel must make them equal), trains, and saves what it holds at the end.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]


def _worker(out: Path) -> None:
    from safetensors.torch import save_file

    from engine.data import get_task
    from engine.document.templates import template
    from engine.training.trainer import Callback, Trainer, TrainSettings, build_model

    rank = int(os.environ["RANK"])
    torch.set_num_threads(1)
    design = template("many-to-one", cell="gru", hidden_size=16)
    task = get_task("adding", seq_len=10, train_size=512, val_size=64)
    losses: list[float] = []

    class Losses(Callback):
        def on_step(self, m):
            losses.append(m["loss"])

    settings = TrainSettings(lr=0.01, batch_size=16, epochs=3, probe_every=5, device="cpu", out_dir=str(out / "run"))
    trainer = Trainer(build_model(design, seed=rank), task, settings, design=design, callbacks=[Losses()])
    info: dict = {}
    trainer.callbacks.append(type("Info", (Callback,), {"on_train_begin": lambda self, i: info.update(i)})())
    result = trainer.run()
    save_file({k: v.contiguous() for k, v in trainer.model.state_dict().items()}, str(out / f"rank{rank}.safetensors"))
    (out / f"rank{rank}.json").write_text(json.dumps({"losses": losses, "result": result, "info": info}))
    import torch.distributed as dist

    dist.destroy_process_group()


@pytest.mark.slow
def test_two_cpu_processes_train_together_and_end_with_the_same_weights(tmp_path):
    from safetensors.torch import load_file

    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if sys.platform.startswith("linux"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes", "1", "--nproc-per-node", "2",
           str(HERE), str(tmp_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    w0, w1 = load_file(str(tmp_path / "rank0.safetensors")), load_file(str(tmp_path / "rank1.safetensors"))
    assert w0.keys() == w1.keys()
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k
    r0 = json.loads((tmp_path / "rank0.json").read_text())
    r1 = json.loads((tmp_path / "rank1.json").read_text())
    assert r0["info"]["world_size"] == 2 and r0["info"]["steps_per_epoch"] == 16  # 32 batches shared by 2
    losses = r0["losses"]
    assert len(losses) == 48 and r1["losses"] == []  # only rank 0 calls callbacks
    assert sum(losses[-8:]) < 0.7 * sum(losses[:8])
    assert r0["result"]["val"] == r1["result"]["val"]  # both validated the same weights
    assert (tmp_path / "run" / "best.safetensors").exists()  # rank 0 wrote the checkpoints


def test_cli_nproc_launches_torchrun(monkeypatch, tmp_path):
    from engine.cli import train as train_cli
    from engine.cli.main import main

    calls = []
    monkeypatch.setattr(train_cli.subprocess, "call", lambda cmd, env=None: calls.append(cmd) or 0)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    rc = main(["train", "design.rnnd", "--nproc", "2", "--steps", "10", "--task", "adding", "--out", str(tmp_path)])
    assert rc == 0
    cmd = calls[0]
    assert cmd[1:4] == ["-m", "torch.distributed.run", "--standalone"]
    assert cmd[cmd.index("--nproc-per-node") + 1] == "2"
    assert cmd[cmd.index("-m", 3) + 1] == "engine.cli"
    tail = cmd[cmd.index("engine.cli") + 1:]
    assert tail[:2] == ["train", "design.rnnd"] and "--nproc" not in tail
    assert tail[tail.index("--steps") + 1] == "10" and tail[tail.index("--out") + 1] == str(tmp_path)


if __name__ == "__main__":  # the torchrun worker
    sys.path.insert(0, str(ROOT))
    _worker(Path(sys.argv[1]))
