"""``rnn-designer train`` and ``rnn-designer eval``: the Trainer behind a command line.

``engine.cli`` registers both through :func:`add_train_parser` and :func:`add_eval_parser`.
Errors a user can fix are raised as the project's own exceptions; ``engine.cli`` prints them
in one line and sets the exit status.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from engine.errors import DataError, SettingsError, TrainingError
from engine.files import os_error_message

log = logging.getLogger(__name__)

_SETTING_FLAGS = (("epochs", int), ("steps", int), ("lr", float), ("lr_schedule", str), ("batch_size", int), ("optimizer", str),
                  ("clip", float), ("seed", int), ("device", str), ("patience", int), ("eval_every", int),
                  ("time_limit", float), ("probe_every", int))


def _task_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--task", metavar="NAME", help="a bundled task (default: the one the design's metadata names)")
    g.add_argument("--data", metavar="FILE", help="train on your own file: .csv (time series, or label,text), "
                                                  ".tsv (source<TAB>target) or plain text (a language model)")
    p.add_argument("--task-param", metavar="KEY=VALUE", action="append", default=[],
                   help="a task parameter, e.g. --task-param seq_len=50 (repeatable)")


def add_train_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser("train", help="train a design on a bundled task or your own data",
                              description="Train a design. Settings default to the design's metadata "
                                          '("training"), then to the built-in defaults; flags win.')
    p.add_argument("design", help="a design file (.rnnd)")
    _task_arguments(p)
    p.add_argument("--epochs", type=int, help="epochs to train (ignored when --steps is given)")
    p.add_argument("--steps", type=int, help="optimizer steps to train")
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--lr-schedule", dest="lr_schedule", choices=("constant", "cosine", "plateau"),
                   help="constant; cosine decay to 5%% over the run; plateau: halve when validation stalls")
    p.add_argument("--batch-size", dest="batch_size", type=int, help="examples per step (per process)")
    p.add_argument("--optimizer", choices=("adam", "adamw", "sgd"))
    p.add_argument("--clip", type=float, help="gradient norm clipping, 0 for none")
    p.add_argument("--seed", type=int, help="random seed of weights and data")
    p.add_argument("--device", help="auto (default), cpu, cuda or mps")
    p.add_argument("--patience", type=int, help="stop after this many validations without improvement")
    p.add_argument("--eval-every", dest="eval_every", type=int, help="steps between validations (default: each epoch)")
    p.add_argument("--time-limit", dest="time_limit", type=float, metavar="SECONDS", help="stop after this long")
    p.add_argument("--probe-every", dest="probe_every", type=int, help=argparse.SUPPRESS)
    p.add_argument("--out", metavar="DIR", help="where checkpoints and metrics.csv go (default: runs/DESIGN-TIME)")
    p.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint (its .safetensors, .json or run folder)")
    p.add_argument("--tensorboard", action=argparse.BooleanOptionalAction, default=None,
                   help="TensorBoard event files in the run folder (default: when tensorboard is installed)")
    p.add_argument("--nproc", type=int, default=1, help="train data-parallel in N processes per machine (launches torchrun)")
    p.add_argument("--nnodes", type=int, default=1, help="machines taking part (torchrun's --nnodes; needs --rdzv-endpoint)")
    p.add_argument("--rdzv-endpoint", dest="rdzv_endpoint", metavar="HOST:PORT",
                   help="where the machines meet (torchrun's c10d rendezvous); the same on every machine")
    p.add_argument("--rdzv-id", dest="rdzv_id", default="rnn-designer", metavar="ID",
                   help="a name for the job, the same on every machine (default: rnn-designer)")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    p.set_defaults(func=run_train)
    return p


def add_eval_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser("eval", help="print a checkpoint's metrics on the validation set")
    p.add_argument("design", help="the design file (.rnnd) the checkpoint was trained for")
    p.add_argument("--checkpoint", required=True, metavar="CKPT", help="a checkpoint (.safetensors, .json or run folder)")
    _task_arguments(p)
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda or mps")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=256)
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.set_defaults(func=run_eval)
    return p


# ---------------------------------------------------------------------- shared pieces
def parse_task_params(items: list[str]) -> dict[str, Any]:
    """``--task-param KEY=VALUE`` items → a dict, the error in the CLI's words."""
    from engine.data import parse_task_params as parse

    try:
        return parse(items)
    except DataError as exc:
        raise DataError(f"--task-param {exc}") from None


def resolve_task(args: argparse.Namespace, design: Any, fallback: dict[str, Any] | None = None) -> Any:
    """The task from --data, --task, the design's metadata or ``fallback`` (a checkpoint's), in that order."""
    from engine.data import TASKS, get_task, task_for_file, task_from_metadata

    params = parse_task_params(args.task_param)
    if args.data:
        return task_for_file(args.data, **params)
    if args.task:
        return get_task(args.task, **params)
    entry = fallback or design.metadata.get("task")
    if entry:
        return task_from_metadata({**entry, **params})
    raise TrainingError(f'design "{design.name}" names no task in its metadata; pass --task NAME '
                        f'({", ".join(TASKS)}) or --data FILE')


def _default_out(design_name: str) -> str:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in design_name) or "design"
    return str(Path("runs") / f"{safe}-{stamp}")


def _fmt(metrics: dict[str, float]) -> str:
    return " ".join(f"{k} {v:.4g}" for k, v in metrics.items())


class Progress:
    """The CLI's view of a run: a tqdm bar on a terminal, plain lines otherwise."""

    def __init__(self, quiet: bool = False, stream: Any = None) -> None:
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar: Any = None
        self.total = 0
        self.every = 1
        self.val = ""

    def on_train_begin(self, info: dict[str, Any]) -> None:
        self.total = info["total_steps"]
        self.every = max(1, self.total // 20)
        if self.quiet:
            return
        print(f"training on task {info['task']}: {info['parameters']:,} parameters, {self.total} steps "
              f"({info['steps_per_epoch']} per epoch), device {info['device']}"
              + (f", {info['world_size']} processes" if info["world_size"] > 1 else ""), file=self.stream, flush=True)
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, initial=info["start_step"], file=self.stream, unit="step",
                            dynamic_ncols=True)

    def on_step(self, m: dict[str, Any]) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.update(1)
            if m["step"] % 10 == 0:
                self.bar.set_postfix_str(f"loss {m['loss']:.4g}{' | ' + self.val if self.val else ''}")
        elif m["step"] % self.every == 0:
            print(f"step {m['step']}/{self.total}  epoch {m['epoch'] + 1}  loss {m['loss']:.4g}  "
                  f"grad {m['grad_norm']:.3g}  {m['seconds']:.1f}s", file=self.stream, flush=True)

    def on_validation(self, s: dict[str, Any]) -> None:
        self.val = "val " + _fmt(s["val"])
        if not self.quiet and self.bar is None:
            print(f"step {s['step']}  {self.val}" + ("  (best)" if s["improved"] else ""), file=self.stream, flush=True)

    def on_train_end(self, result: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.close()


def summary_line(result: dict[str, Any]) -> str:
    best = result.get("best")
    line = (f"{result['status']}: step {result['step']}, {result['seconds']:.1f}s; val {_fmt(result['val'])}")
    if best is not None:
        line += f"; best {result['main_metric']} {best:.4g} at step {result['best_step']}"
    return line


# ---------------------------------------------------------------------- train
def run_train(args: argparse.Namespace) -> int:
    """Train as the window does (:func:`engine.training.run.execute`): the run folder gets the
    checkpoints, metrics.csv and the live event stream the window's File ▸ Watch Run… follows."""
    from engine.document.design_file import load_design
    from engine.training.run import RunSpec, execute

    for flag in ("task", "data"):
        if getattr(args, flag) is not None and not getattr(args, flag).strip():
            raise TrainingError(f"--{flag}: empty; give a {'task name' if flag == 'task' else 'data file'}")
    for flag in ("nproc", "nnodes"):
        if getattr(args, flag) < 1:
            raise TrainingError(f"--{flag} {getattr(args, flag)}: give a number of at least 1")
    flags = {name: getattr(args, name) for name, _ in _SETTING_FLAGS if getattr(args, name, None) is not None}
    check_setting_flags(flags)
    if args.out:
        check_out_folder(args.out)
    if (args.nproc > 1 or args.nnodes > 1) and "WORLD_SIZE" not in os.environ:
        return _launch_torchrun(args)
    design = load_design(args.design)
    if args.tensorboard is not None:
        flags["tensorboard"] = args.tensorboard
    rank = int(os.environ.get("RANK", "0"))
    out = args.out or os.environ.get("RNN_DESIGNER_RUN_DIR") or _default_out(design.name)
    check_out_folder(out)
    spec = RunSpec(design=args.design, out_dir=out, task={"name": args.task} if args.task else None, data=args.data,
                   task_params=parse_task_params(args.task_param), settings=flags, resume=args.resume)
    progress = Progress(quiet=args.quiet or rank != 0)
    try:
        result = execute(spec, callbacks=[progress])
    except SettingsError as exc:  # the flags were checked above: this is the design's metadata
        raise TrainingError(f'{args.design}: metadata "training": {exc}; fix it in the design '
                            "(Training settings) or override it with a flag") from None
    except OSError as exc:  # the run folder went read-only or full while training
        where = exc.filename or out
        raise TrainingError(f"{where}: {os_error_message(exc, where)}") from None
    finally:
        _shutdown_distributed()
    if rank != 0:
        return 0
    print(summary_line(result), flush=True)
    for warning in result.get("warnings") or ():
        log.warning("%s", warning)
    if result["status"] == "interrupted":
        print(interrupted_message(args, result), file=sys.stderr, flush=True)
        return 130
    print(f"checkpoints, metrics.csv and the live stream (events.jsonl): {out}", flush=True)
    return 0


def interrupted_message(args: argparse.Namespace, result: dict[str, Any]) -> str:
    """What Ctrl+C kept, and the command that goes on from it."""
    kept = result.get("checkpoint")
    if not kept:
        return f"interrupted at step {result['step']}; nothing was saved"
    again = ["rnn-designer", "train", args.design, "--resume", kept]
    for name in ("steps", "epochs"):
        if getattr(args, name, None) is not None:
            again += [f"--{name}", str(getattr(args, name))]
    return (f"interrupted at step {result['step']}: kept checkpoint {kept} (step {result['step']}); "
            f"continue with: {' '.join(again)}")


def check_setting_flags(flags: dict[str, Any]) -> None:
    """Each setting flag on its own (``--clip nan``, ``--time-limit -1``), so an error names the flag."""
    from engine.training.trainer import TrainSettings

    for name, value in flags.items():
        try:
            TrainSettings.from_dict({name: value})
        except SettingsError as exc:
            why = str(exc).split(": ", 1)[-1]
            raise TrainingError(f"--{name.replace('_', '-')} {value}: {why}") from None


def check_out_folder(out: str) -> None:
    """Refuse an output folder that is a file or lies under one, before any training starts."""
    path = Path(out)
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            where = "is a file" if part == path else f"lies under {part}, which is a file"
            raise TrainingError(f"--out {out}: {where}; give a folder (new or existing) for the checkpoints "
                                "and metrics.csv")


def _shutdown_distributed() -> None:
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    except Exception:  # pragma: no cover - best effort at exit
        pass


def _launch_torchrun(args: argparse.Namespace) -> int:
    """Run this same command in ``args.nproc`` processes under torchrun: on this machine alone
    (loopback), or with ``--nnodes N --rdzv-endpoint HOST:PORT`` as one of N machines meeting there."""
    argv = ["train", args.design]
    if args.task:
        argv += ["--task", args.task]
    if args.data:
        argv += ["--data", args.data]
    for item in args.task_param:
        argv += ["--task-param", item]
    for name, _ in _SETTING_FLAGS:
        value = getattr(args, name, None)
        if value is not None:
            argv += ["--" + name.replace("_", "-"), str(value)]
    out = args.out or _default_out(Path(args.design).stem)
    argv += ["--out", out]
    if args.resume:
        argv += ["--resume", args.resume]
    if args.tensorboard is not None:
        argv.append("--tensorboard" if args.tensorboard else "--no-tensorboard")
    if args.quiet:
        argv.append("--quiet")
    if args.nnodes > 1:
        if not args.rdzv_endpoint:
            raise TrainingError(f"--nnodes {args.nnodes}: the machines need a place to meet; pass "
                                "--rdzv-endpoint HOST:PORT (the same on every machine, e.g. the first one's address)")
        where = ["--nnodes", str(args.nnodes), "--rdzv-backend", "c10d", "--rdzv-endpoint", args.rdzv_endpoint,
                 "--rdzv-id", args.rdzv_id]
    else:
        where = ["--standalone", "--nnodes", "1"]
    cmd = [sys.executable, "-m", "torch.distributed.run", *where,
           "--nproc-per-node", str(max(1, args.nproc)), "-m", "engine.cli", *argv]
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    return subprocess.call(cmd, env=env)


# ---------------------------------------------------------------------- eval
def run_eval(args: argparse.Namespace) -> int:
    from engine.devices import pick_device
    from engine.document.design_file import load_design
    from engine.errors import CheckpointError
    from engine.model.compiler import compile_design
    from engine.model.task_fit import fit_problems
    from engine.training.checkpoint import load_checkpoint, read_sidecar
    from engine.training.trainer import evaluate

    design = load_design(args.design)
    meta = read_sidecar(args.checkpoint)
    task = resolve_task(args, design, fallback=meta.get("task"))
    misfit = fit_problems(task, design)
    if misfit:
        whose = ("its sidecar's field \"task\" names" if not (args.task or args.data) and meta.get("task")
                 else "the task given is")
        raise CheckpointError(f'{args.checkpoint}: {whose} task "{task.name}", which design "{design.name}" does not '
                              f"fit: {misfit[0]}; evaluate it with --task or --data of the task it was trained on")
    model = compile_design(design)
    ckpt = load_checkpoint(args.checkpoint, design=design, model=model)
    device = pick_device(args.device)
    model.to(device)
    start = time.perf_counter()
    metrics = evaluate(model, task, args.batch_size, device)
    if args.json:
        print(json.dumps({"checkpoint": str(ckpt.path), "step": ckpt.step, "task": task.metadata(),
                          "metrics": metrics}, indent=2))
    else:
        print(f"{ckpt.path} (step {ckpt.step}) on {task.name}, {task.size('val')} validation examples, "
              f"{time.perf_counter() - start:.1f}s")
        for k, v in metrics.items():
            print(f"  {k:<20} {v:.6g}")
    return 0


if __name__ == "__main__":  # python -m engine.cli.train train ... (the same as rnn-designer train ...)
    from engine.cli.main import main

    sys.exit(main())
