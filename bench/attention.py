"""Attention against the state-only decoder, side by side on the same task, settings and seed.

    python -m bench.attention                    # both contrasts (about 30 minutes on one core)
    python -m bench.attention --only reverse     # one of them: dates, reverse
    python -m bench.attention --steps 2000       # a shorter budget

Each pair is the encoder-decoder template (``template("encoder-decoder", attention=...)``) at its
default sizes, the task picked as the window picks it (its recommended settings, then the fixes the
Problems list offers), trained through the same ``Trainer`` with validation every ``--eval-every``
steps: once without attention and once with additive attention.

- **dates**: steps until the first validation at ≥ 99 % exact match (greedy decoding).
- **reverse**: reversing sequences of 30 symbols (of 8), where the state-only decoder must squeeze
  the whole source through one state and stalls; the attending one should reach ≥ 99 % token
  accuracy. Steps until then, and the final token accuracy of both.

``bench/learning.py`` lists the dates-with-attention row among its runs; this file is the contrast.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

PAIRS: dict[str, dict[str, Any]] = {
    "dates": {"task": {"name": "dates"}, "metric": "exact_match", "target": 0.99},
    "reverse": {"task": {"name": "reverse", "min_length": 30, "max_length": 30}, "metric": "token_accuracy",
                "target": 0.99},
}
SCORES = ("none", "additive")


def attention_design(pair: str, attention: str, steps: int | None, eval_every: int) -> tuple[Any, list[str]]:
    """The template with the pair's task picked, the recommended settings and the offered fixes."""
    from engine.data import training_with_recommended
    from engine.document.templates import template
    from engine.model.check import check_design

    spec = PAIRS[pair]
    design = template("encoder-decoder", attention=attention)
    design.set_metadata("task", dict(spec["task"]))
    if "max_length" in spec["task"]:  # the template's decoder writes up to 12 tokens; these targets are longer
        design.set_param("decoder", "max_len", spec["task"]["max_length"] + 1)
    training = training_with_recommended(spec["task"]["name"])
    training.update(eval_every=eval_every, **({"steps": steps} if steps else {}))
    design.set_metadata("training", training)
    applied = []
    for _ in range(5):  # a fix can reveal the next one
        fixes = [p.fix for p in check_design(design).errors if p.fix is not None]
        if not fixes:
            break
        for change in fixes[0].changes:
            design.set_param(change.node_id, change.param, change.value)
        applied.append(fixes[0].label)
    errors = check_design(design).errors
    if errors:
        raise SystemExit(f"bench.attention: {pair}: " + "; ".join(str(p) for p in errors))
    return design, applied


def train_pair_member(pair: str, attention: str, steps: int | None, eval_every: int,
                      verbose: bool = True, stop_at_target: bool = False,
                      stop_after: int | None = None) -> dict[str, Any]:
    """Train one member of a pair; the first step at the target, the final metric, the curve.
    ``stop_at_target`` ends the run at the first validation on target (the schedule stays the full
    run's, so the steps to the target are the same); ``stop_after`` ends it at the first validation
    from that step on (a budget; the table shows the steps trained)."""
    from engine.data import task_from_metadata
    from engine.training.trainer import Callback, Trainer, TrainSettings, build_model

    spec = PAIRS[pair]
    design, fixes = attention_design(pair, attention, steps, eval_every)
    task = task_from_metadata(design.metadata["task"])
    settings = TrainSettings.from_dict(design.metadata["training"], probe_every=0, device="cpu")
    settings.probe_every = 0
    metric, target = spec["metric"], spec["target"]
    first: dict[str, Any] = {}
    curve: list[tuple[int, float]] = []
    start = time.perf_counter()

    class Watch(Callback):
        def on_validation(self, s: dict[str, Any]) -> None:
            value = float(s["val"][metric])
            curve.append((int(s["step"]), value))
            if verbose:
                print(f"  [{pair}/{attention}] step {s['step']:>5}  {time.perf_counter() - start:6.1f}s  "
                      f"{metric} {value:.4f}", file=sys.stderr, flush=True)
            if not first and value >= target:
                first.update(step=int(s["step"]), value=value)
                if stop_at_target:
                    trainer.stop()
            if stop_after is not None and int(s["step"]) >= stop_after:
                trainer.stop()

    model = build_model(design, settings.seed)
    trainer = Trainer(model, task, settings, design=design, callbacks=[Watch()])
    result = trainer.run()
    return {"pair": pair, "attention": attention, "task": task.title, "metric": metric, "target": target,
            "steps": result["step"], "final": float(result["val"].get(metric, float("nan"))),
            "exact_match": float(result["val"].get("exact_match", float("nan"))),
            "first_met_step": first.get("step"), "curve": curve, "fixes": fixes,
            "seconds": round(time.perf_counter() - start, 1),
            "parameters": sum(p.numel() for p in model.parameters())}


def attention_rows(pairs: list[str], steps: int | None = None, eval_every: int = 250,
                   stop_at_target: bool = False) -> list[dict[str, Any]]:
    """Each pair trained without and with attention, one after the other (same seed and settings)."""
    return [train_pair_member(p, a, steps, eval_every, stop_at_target=stop_at_target) for p in pairs for a in SCORES]


def table(rows: list[dict[str, Any]]) -> str:
    head = ("task", "attention", "parameters", "steps", "final", "exact match", "first ≥ target at")
    body = [(r["task"], r["attention"], f"{r['parameters']:,}", str(r["steps"]),
             f"{r['metric'].replace('_', ' ')} {100 * r['final']:.1f} %", f"{100 * r['exact_match']:.1f} %",
             "never" if r["first_met_step"] is None else f"step {r['first_met_step']}") for r in rows]
    widths = [max(len(x[i]) for x in (head, *body)) for i in range(len(head))]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.attention", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated: " + ", ".join(PAIRS))
    parser.add_argument("--steps", type=int, default=0, help="training steps (default: the task's recommended)")
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--stop-at-target", action="store_true",
                        help="end each run at its first validation on target (the schedule stays the full run's)")
    parser.add_argument("--json", default=str(Path(__file__).with_name("results_attention.json")))
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    pairs = [p.strip() for p in args.only.split(",") if p.strip()] or list(PAIRS)
    unknown = sorted(set(pairs) - set(PAIRS))
    if unknown:
        print(f"bench.attention: unknown pair(s) {', '.join(unknown)}; choose from {', '.join(PAIRS)}", file=sys.stderr)
        return 2
    rows = attention_rows(pairs, args.steps or None, args.eval_every, args.stop_at_target)
    print(table(rows))
    info = {"machine": platform.machine(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "python": platform.python_version()}
    Path(args.json).write_text(json.dumps({"machine": info, "rows": rows}, indent=2) + "\n")
    print(f"\nthreads={torch.get_num_threads()} torch={torch.__version__}; written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
