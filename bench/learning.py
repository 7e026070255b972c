"""Proof that the recommended settings learn: each template at its default sizes, each bundled task.

    python -m bench.learning                      # every run (about 20 minutes on one core)
    python -m bench.learning --only dates,reber   # some of them (ids below)
    python -m bench.learning --set lr=0.01        # try other settings (the table says so)
    python -m bench.learning --threads 0          # torch's own thread count instead of one thread

Each run does what a new user does in the window: a template from
``engine.document.templates`` at its default sizes (New from template), the task picked — which
applies the task's recommended training settings (``Task.recommended``) and nothing else — and,
where the template does not fit the task, the fixes the Problems list offers (``Problem.fix``).
It then trains through the same ``Trainer`` the CLI and the window use, for exactly the
recommended steps, and judges the *final* validation (what the user sees when the run ends)
against the task's target. Probes are switched off (they read the model and never change it)
to spare the CPU; every other setting is the recommended one.

Targets: dates ≥ 99 % exact match (greedy decoding, 1,000 held-out dates), adding problem
(T = 100) validation MSE < 0.002 (the mean predictor scores 0.167), embedded Reber 100 % of the
long-range symbols, spell-numbers 100 % exact match, copy and reverse (3–12 symbols of 8)
≥ 95 % exact match, the character language model (the generated default corpus) a validation
loss < 0.5 nats per character.
An Elman cell on the adding problem is reported, not judged: it stays near 0.167 — the
vanishing gradient the training panel's ‖∂L/∂h_t‖ plot shows.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch


@dataclass
class Run:
    id: str
    task: str  # a bundled task
    architecture: str  # the template
    target: float | None  # None: reported, not judged
    judge: str  # what the target means, for the table
    reference: str
    template_options: dict[str, Any] = field(default_factory=dict)  # only to vary the cell
    palette: bool = False  # built block by block from the palette's defaults instead (an empty canvas)


RUNS = (
    Run("adding", "adding", "many-to-one", 0.002, "val MSE < 0.002",
        "Hochreiter & Schmidhuber 1997; Le et al. 2015: LSTM solves T=100"),
    Run("adding-elman", "adding", "many-to-one", None, "reported (≈ 0.167 expected)",
        "Le et al. 2015: a tanh RNN stays at the 0.167 baseline", {"cell": "elman"}),
    Run("reber", "reber", "many-to-many", 1.0, "100 % long-range",
        "Hochreiter & Schmidhuber 1997: LSTM 100 % of test strings"),
    Run("dates", "dates", "encoder-decoder", 0.99, "≥ 99 % exact match",
        "seq2seq date normalisation: ~100 % exact match is usual"),
    Run("dates-attention", "dates", "encoder-decoder", 0.99, "≥ 99 % exact match",
        "Bahdanau et al. 2015, Luong et al. 2015: attention aligns target and source (bench/attention.py: "
        "the side-by-side contrast)", {"attention": "additive"}),
    Run("dates-palette", "dates", "encoder-decoder", 0.99, "≥ 99 % exact match",
        "the Quick Start's journey: an empty canvas, the palette's default sizes", palette=True),
    Run("spell_numbers", "spell_numbers", "one-to-many", 1.0, "100 % exact match",
        "a lookup of 100 spellings: every one is learnable"),
    Run("copy", "copy", "encoder-decoder", 0.95, "≥ 95 % exact match",
        "Sutskever et al. 2014: seq2seq copies short sequences"),
    Run("reverse", "reverse", "encoder-decoder", 0.95, "≥ 95 % exact match",
        "Sutskever et al. 2014: reversed order is the easy direction"),
    Run("char_lm", "char_lm", "many-to-many", 0.5, "val loss < 0.5 nats/char",
        "Karpathy 2015: a small char-LSTM learns words and agreement"),
)


def picked_design(run: Run, overrides: dict[str, Any] | None = None) -> tuple[Any, list[str]]:
    """The template with ``run.task`` picked as the window picks it, and the fixes applied."""
    from engine.data import training_with_recommended
    from engine.document.templates import template
    from engine.model.check import check_design

    design = palette_design(run.architecture) if run.palette else template(run.architecture, **run.template_options)
    design.set_metadata("task", {"name": run.task})
    design.set_metadata("training", {**training_with_recommended(run.task), **(overrides or {})})
    applied = []
    for _ in range(5):  # a fix can reveal the next one (a vocabulary, then the head that must match it)
        fixes = [p.fix for p in check_design(design).errors if p.fix is not None]
        if not fixes:
            break
        for change in fixes[0].changes:
            design.set_param(change.node_id, change.param, change.value)
        applied.append(fixes[0].label)
    report = check_design(design)
    if report.errors:
        raise SystemExit(f"bench.learning: {run.id}: the template does not check clean after its fixes: "
                         + "; ".join(str(p) for p in report.errors))
    return design, applied


def palette_design(architecture: str) -> Any:
    """``architecture`` as a user builds it on an empty canvas: each block dropped from the palette
    with its default parameters, wired in order (what tests/designer/designer_helpers.build does)."""
    from engine.document.design import Design

    if architecture != "encoder-decoder":
        raise SystemExit(f"bench.learning: no palette build for {architecture}")
    design = Design(name="palette-encoder-decoder")
    kinds = ("token_input", "embedding", "gru", "bridge", "decoder", "classifier")
    for i, kind in enumerate(kinds):
        design.add_node(kind, {}, (200.0 * i, 0.0), f"{kind}_1")
    for source, port, target, target_port in (("token_input_1", "out", "embedding_1", "in"),
                                              ("embedding_1", "out", "gru_1", "in"),
                                              ("gru_1", "state", "bridge_1", "in"),
                                              ("bridge_1", "out", "decoder_1", "init"),
                                              ("decoder_1", "out", "classifier_1", "in")):
        design.connect(source, port, target, target_port)
    return design


def train_one(run: Run, overrides: dict[str, Any] | None = None, verbose: bool = True) -> dict[str, Any]:
    from engine.data import task_from_metadata
    from engine.training.trainer import Callback, Trainer, TrainSettings, build_model

    design, fixes = picked_design(run, overrides)
    task = task_from_metadata(design.metadata["task"])
    settings = TrainSettings.from_dict(design.metadata["training"], probe_every=0, device="cpu")
    settings.probe_every = 0
    better = (lambda v: v >= run.target) if task.higher_is_better else (lambda v: v < run.target)
    first: dict[str, Any] = {}
    start, cpu0 = time.perf_counter(), time.process_time()

    class Watch(Callback):
        def on_validation(self, s: dict[str, Any]) -> None:
            value = s["val"][task.main_metric]
            if verbose:
                print(f"  [{run.id}] step {s['step']:>5}  {time.perf_counter() - start:6.1f}s  "
                      f"{task.main_metric} {value:.4g}", file=sys.stderr, flush=True)
            if run.target is not None and not first and better(value):
                first.update(step=s["step"], value=value)

    model = build_model(design, settings.seed)
    result = Trainer(model, task, settings, design=design, callbacks=[Watch()]).run()
    final = result["val"].get(task.main_metric, float("nan"))
    training = design.metadata["training"]
    return {"id": run.id, "task": task.title, "template": ("palette " if run.palette else "") + run.architecture,
            "cell": _cell_name(design),
            "settings": {k: training[k] for k in ("steps", "batch_size", "lr", "lr_schedule", "clip") if k in training},
            "overrides": overrides or {}, "fixes": fixes, "steps": result["step"],
            "seconds": round(time.perf_counter() - start, 1), "cpu_seconds": round(time.process_time() - cpu0, 1),
            "metric": task.main_metric, "final": final, "best": result["best"], "target": run.judge,
            "met": None if run.target is None else bool(better(final)),
            "first_met_step": first.get("step"), "reference": run.reference,
            "parameters": sum(p.numel() for p in model.parameters())}


def _cell_name(design: Any) -> str:
    names = {"lstm": "LSTM", "gru": "GRU", "elman": "Elman", "min_gru": "min GRU", "jordan": "Jordan"}
    for n in design.nodes.values():
        if n.kind in names:
            return names[n.kind]
    dec = next((n for n in design.nodes.values() if n.kind == "decoder"), None)
    return names.get(dec.params["cell"], "?") if dec is not None else "?"


def _show(metric: str, value: float) -> str:
    if metric in ("exact_match", "long_range_accuracy", "accuracy", "token_accuracy"):
        return f"{metric.replace('_', ' ')} {100 * value:.1f} %"
    return f"{metric} {value:.4g}"


def table(rows: list[dict[str, Any]]) -> str:
    head = ("task", "template · cell", "recommended settings", "steps", "final metric", "first met at", "target",
            "met")
    body = []
    for r in rows:
        s = r["settings"]
        words = f"batch {s.get('batch_size')}, lr {s.get('lr'):g} {s.get('lr_schedule', 'constant')}, clip {s.get('clip')}"
        if r["overrides"]:
            words += " + " + ", ".join(f"{k}={v}" for k, v in r["overrides"].items())
        met = "" if r["met"] is None else ("yes" if r["met"] else "MISSED")
        body.append((r["task"], f"{r['template']} · {r['cell']}", words, str(r["steps"]), _show(r["metric"], r["final"]),
                     "" if r["first_met_step"] is None else f"step {r['first_met_step']}", r["target"], met))
    widths = [max(len(x[i]) for x in (head, *body)) for i in range(len(head))]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)])


def main(argv: list[str] | None = None) -> int:
    from engine.data import parse_task_params

    parser = argparse.ArgumentParser(prog="python -m bench.learning", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated run ids: " + ", ".join(r.id for r in RUNS))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a recommended setting (to tune them; the table marks it)")
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
    overrides = parse_task_params(args.set)
    rows = []
    for run in RUNS:
        if run.id in wanted:
            print(f"bench.learning: {run.id} ...", file=sys.stderr, flush=True)
            rows.append(train_one(run, overrides))
    print(table(rows))
    info = {"machine": platform.machine(), "processor": platform.processor(), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "python": platform.python_version()}
    Path(args.json).write_text(json.dumps({"machine": info, "rows": rows}, indent=2) + "\n")
    print(f"\nthreads={torch.get_num_threads()} torch={torch.__version__}; written to {args.json}")
    return 0 if all(r["met"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
