"""Proof that the bundled example designs learn: train each on the CPU and print a table.

    python -m bench.learning                 # all four runs (about 7 minutes at most)
    python -m bench.learning --only adding   # some: adding, adding-elman, reber, dates
    python -m bench.learning --budget 0.5    # half the time budgets (a quicker look)
    python -m bench.learning --threads 0     # torch's own thread count instead of one thread

Each run trains an example design from ``assets/examples/`` through the same ``Trainer`` the CLI
and the window use, validates every few hundred steps, and stops as soon as the target is met or
the time budget is spent ("seconds" is wall time; "cpu s" the process's CPU time, which says
more when other work shares the machine). The targets are floors: a hand-written PyTorch model
of the same size reaches each in about a minute or less on this kind of machine.

- adding problem, T = 100, LSTM: validation MSE < 0.002 (the mean scores 0.167) within 2 minutes;
- the same design with an Elman cell, 3,000 steps (at most 2 minutes): reported, expected to stay
  near 0.167 — the contrast the gradient-flow plot explains;
- embedded Reber grammar, LSTM: 100 % of the long-range symbols on 1,000 held-out strings within
  1 minute;
- date translation, GRU encoder-decoder: ≥ 99.5 % exact match on 1,000 held-out dates (greedy
  decoding) within 3 minutes.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "assets" / "examples"


@dataclass
class Run:
    id: str
    title: str
    design: str  # an example file, or "template:ARCH:CELL" for a variant of one
    target: float | None  # None: reported, not judged
    higher_is_better: bool
    budget: float  # seconds
    eval_every: int
    reference: str
    settings: dict[str, Any]
    task_params: dict[str, Any]
    judge: str = ""  # what the target means, for the table
    steps: int | None = None  # a fixed number of steps (still within the budget); None: until the target


RUNS = (
    Run("adding", "adding T=100", "adding-lstm.rnnd", 0.002, False, 120.0, 100,
        "Hochreiter & Schmidhuber 1997; Le et al. 2015: LSTM solves T=100", {"lr": 0.003, "batch_size": 64},
        {"seq_len": 100, "val_size": 1000}, "val MSE < 0.002"),
    Run("adding-elman", "adding T=100", "template:many-to-one:elman", None, False, 120.0, 100,
        "Le et al. 2015: a tanh RNN stays at the 0.167 baseline", {"lr": 0.003, "batch_size": 64},
        {"seq_len": 100, "val_size": 1000}, "reported (≈ 0.167 expected)", steps=3000),
    Run("reber", "embedded Reber", "reber-lstm.rnnd", 1.0, True, 60.0, 50,
        "Hochreiter & Schmidhuber 1997: LSTM 100 % of test strings", {"lr": 0.01, "batch_size": 32},
        {"val_size": 1000}, "100 % long-range"),
    Run("dates", "date translation", "dates-gru-seq2seq.rnnd", 0.995, True, 180.0, 250,
        "seq2seq date normalisation: ~100 % exact match is usual",
        {"lr": 0.003, "batch_size": 64, "lr_schedule": "cosine"}, {"val_size": 1000}, "≥ 99.5 % exact match",
        steps=3000),
)


def _design(run: Run) -> Any:
    from engine.document.design_file import load_design
    from engine.document.templates import template

    if run.design.startswith("template:"):
        _, arch, cell = run.design.split(":")
        base = load_design(EXAMPLES / "adding-lstm.rnnd")
        lstm = next(n for n in base.nodes.values() if n.kind == "lstm")
        d = template(arch, cell=cell, hidden_size=lstm.params["hidden_size"])
        d.set_metadata("task", base.metadata.get("task"))
        d.set_metadata("training", base.metadata.get("training"))
        return d
    return load_design(EXAMPLES / run.design)


def train_one(run: Run, budget_scale: float = 1.0, verbose: bool = True) -> dict[str, Any]:
    from engine.data import task_from_metadata
    from engine.training.trainer import Callback, Trainer, TrainSettings, build_model

    design = _design(run)
    task = task_from_metadata({**design.metadata["task"], **run.task_params})
    budget = run.budget * budget_scale
    settings = TrainSettings.from_dict(design.metadata.get("training"), **run.settings, steps=run.steps or 1_000_000,
                                       eval_every=run.eval_every, probe_every=0, time_limit=budget, device="cpu")
    reached: dict[str, Any] = {}

    class StopAtTarget(Callback):
        def __init__(self) -> None:
            self.trainer: Trainer | None = None
            self.start = time.perf_counter()
            self.cpu = time.process_time()

        def on_validation(self, s: dict[str, Any]) -> None:
            value = s["val"][task.main_metric]
            if verbose:
                print(f"  [{run.id}] step {s['step']:>5}  {time.perf_counter() - self.start:6.1f}s  "
                      f"{task.main_metric} {value:.4g}", file=sys.stderr, flush=True)
            if run.target is None or "step" in reached:
                return
            met = value >= run.target if run.higher_is_better else value < run.target
            if met:
                reached.update(step=s["step"], seconds=time.perf_counter() - self.start, value=value,
                               cpu_seconds=time.process_time() - self.cpu)
                assert self.trainer is not None
                self.trainer.stop()

    watcher = StopAtTarget()
    model = build_model(design, settings.seed)
    trainer = Trainer(model, task, settings, design=design, callbacks=[watcher])
    watcher.trainer = trainer
    watcher.start, watcher.cpu = time.perf_counter(), time.process_time()
    result = trainer.run()
    cpu = time.process_time() - watcher.cpu
    final = result["val"].get(task.main_metric, float("nan"))
    met = None if run.target is None else bool(reached)
    return {"id": run.id, "task": run.title, "cell": _cell_name(design), "steps": result["step"],
            "seconds": round(result["seconds"], 1), "cpu_seconds": round(cpu, 1), "metric": task.main_metric, "final": final,
            "best": result["best"], "target": run.judge, "met": met, "reached": reached or None,
            "budget_s": budget, "reference": run.reference,
            "parameters": sum(p.numel() for p in model.parameters())}


def _cell_name(design: Any) -> str:
    names = {"lstm": "LSTM", "gru": "GRU", "elman": "Elman", "min_gru": "min GRU", "jordan": "Jordan"}
    for n in design.nodes.values():
        if n.kind in names:
            return names[n.kind]
    return "?"


def table(rows: list[dict[str, Any]]) -> str:
    head = ("task", "cell", "steps", "seconds", "cpu s", "final metric", "target", "met", "published reference")
    body = []
    for r in rows:
        final = f"{r['metric']} {r['final']:.4g}"
        met = "" if r["met"] is None else ("yes" if r["met"] else "MISSED")
        body.append((r["task"], r["cell"], str(r["steps"]), f"{r['seconds']:.0f}", f"{r['cpu_seconds']:.0f}", final, r["target"], met, r["reference"]))
    widths = [max(len(x[i]) for x in (head, *body)) for i in range(len(head))]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.learning", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated run ids: " + ", ".join(r.id for r in RUNS))
    parser.add_argument("--budget", type=float, default=1.0, help="scale every time budget by this factor")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: the figures hold on one core, and a second thread "
                             "slows small recurrent models down several times when another process is busy)")
    parser.add_argument("--json", default=str(Path(__file__).with_name("results_learning.json")),
                        help="where to write the raw results")
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    wanted = [w.strip() for w in args.only.split(",") if w.strip()] or [r.id for r in RUNS]
    unknown = sorted(set(wanted) - {r.id for r in RUNS})
    if unknown:
        print(f"bench.learning: unknown run(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    rows = []
    for run in RUNS:
        if run.id in wanted:
            print(f"bench.learning: {run.id} (budget {run.budget * args.budget:.0f}s) ...", file=sys.stderr, flush=True)
            rows.append(train_one(run, args.budget))
    print(table(rows))
    info = {"machine": platform.machine(), "processor": platform.processor(), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "python": platform.python_version()}
    Path(args.json).write_text(json.dumps({"machine": info, "rows": rows}, indent=2) + "\n")
    print(f"\nthreads={torch.get_num_threads()} torch={torch.__version__}; written to {args.json}")
    return 0 if all(r["met"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
