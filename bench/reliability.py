"""The reliability matrix of docs/reliability.md, measured: fuzzed design files, bad command lines,
saves and checkpoint writes killed with SIGKILL, and how loading scales.

    python -m bench.reliability                 # everything (about 10 minutes on 2 busy cores)
    python -m bench.reliability --quick         # 1,000 designs, 20 kills each (a minute or two)
    python -m bench.reliability --designs 25000 --kills 200

Prints one table; ``--json FILE`` keeps the raw figures. Nothing here asserts: the suite's tests
(tests/engine/test_rel_*.py) do, on smaller numbers.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.fuzz_designs import run_fuzz


# ---------------------------------------------------------------------- bad command lines
def _cli_fixtures(folder: Path) -> dict[str, str]:
    from engine.document.design_file import save_design
    from engine.document.templates import template

    task = {"name": "adding", "seq_len": 8, "train_size": 64, "val_size": 16}
    paths: dict[str, str] = {}

    def design(name: str, arch: str = "many-to-one", training: Any = None, **options: Any) -> None:
        d = template(arch, **options)
        if arch == "many-to-one":
            d.set_metadata("task", task)
        d.set_metadata("training", {"steps": 2, "batch_size": 16, "probe_every": 0} if training is None else training)
        paths[name] = str(folder / f"{name}.rnnd")
        save_design(d, paths[name])

    design("ok", cell="gru", hidden_size=8)
    for name, training in (("list", [1, 2]), ("seed", {"seed": "abc"}), ("wd", {"weight_decay": -1}),
                           ("soon", {"time_limit": "soon"}), ("steps0", {"steps": 0}), ("lrneg", {"lr": -1}),
                           ("opt", {"optimizer": "lion"}), ("unknown", {"speed": 3}), ("bs", {"batch_size": 1.5})):
        design(name, training=training, cell="gru", hidden_size=8)
    design("dec", "encoder-decoder", cell="gru", hidden_size=8, src_vocab=12, tgt_vocab=12, embed_dim=4, max_len=5)
    design("spell", "one-to-many", hidden_size=8, num_classes=100, tgt_vocab=32, embed_dim=4, max_len=5)
    for name, text in (("header", "a,b,target\n"), ("labels", "label,text\n"), ("quote", 'label,text\npos,"open\nneg,x\n'),
                       ("onerow", "1,2\n"), ("binary", "\x00\x01\x02"), ("empty", ""), ("tsv", "only one field\n")):
        suffix = ".tsv" if name == "tsv" else ".csv"
        (folder / f"{name}{suffix}").write_text(text)
        paths[name] = str(folder / f"{name}{suffix}")
    (folder / "a-file").write_text("x")
    paths["file"] = str(folder / "a-file")
    (folder / "broken.rnnd").write_text("{not json")
    paths["broken"] = str(folder / "broken.rnnd")
    paths["missing"] = str(folder / "missing.rnnd")
    paths["dir"] = str(folder)
    return paths


def bad_invocations(p: dict[str, str]) -> list[list[str]]:
    """Mistakes a user makes: 150-odd command lines that must each end with exit 1 or 2 and a message."""
    train = ["train", p["ok"]]
    dec = ["decode", p["dec"], "-i", "abc"]
    cases: list[list[str]] = []
    cases += [["check", p[k]] for k in ("broken", "missing", "dir", "file", "header")]
    cases += [["check"], ["check", p["ok"], "--jsn"], ["chek", p["ok"]], ["train"], ["decode", p["dec"]],
              ["eval", p["ok"]], ["examples", "--nope"]]
    cases += [train + ["--task-param", v] for v in ("seed=abc", "seed=-1", "seed=1.5", "seq_len=abc", "seq_len=0",
                                                   "nokey", "=5", "bogus=1", "train_size=-3", "val_size=[1]")]
    cases += [train + ["--task", t] for t in ("nosuch", "", "copy ", "reber", "dates")]  # the last two: misfits
    cases += [train + ["--data", p[k]] for k in ("header", "labels", "quote", "onerow", "binary", "empty", "tsv",
                                                 "missing", "dir")]
    cases += [train + ["--out", v] for v in (p["file"], p["file"] + "/run", p["file"] + "/a/b", "/sys/rnn-designer-run",
                                             "/proc/rnn-designer-run")]
    cases += [["train", p[k]] for k in ("list", "seed", "wd", "soon", "steps0", "lrneg", "opt", "unknown", "bs",
                                         "broken", "missing", "dir")]
    for flag, values in (("--lr", ("nan", "inf", "-1", "0", "x")), ("--clip", ("nan", "-1", "inf")),
                         ("--time-limit", ("nan", "-1", "0", "inf", "soon")), ("--nproc", ("0", "-1", "x")),
                         ("--nnodes", ("0", "-2")), ("--steps", ("0", "-5", "1.5", "x")), ("--epochs", ("0", "-1")),
                         ("--batch-size", ("0", "-8")), ("--seed", ("-1", "x")), ("--eval-every", ("0", "-1")),
                         ("--patience", ("0",)), ("--device", ("tpu", "cuda:x", "")), ("--optimizer", ("lion",)),
                         ("--lr-schedule", ("linear",))):
        cases += [train + [flag, v] for v in values]
    cases += [train + ["--resume", v] for v in (p["missing"], p["file"], p["dir"], p["broken"])]
    cases += [["eval", p["ok"], "--checkpoint", v] for v in (p["missing"], p["file"], p["dir"], p["broken"])]
    cases += [["decode", p["dec"], "--ids", "-i", v] for v in ("5 99999", "-5", "a b", "", "5;6", "1e3", "12", "4 -1")]
    cases += [["decode", p["spell"], "-i", v] for v in ("250", "-1", "abc", "1.5", "")]
    cases += [["decode", p["ok"], "-i", "1,2"], ["decode", p["missing"], "-i", "x"], ["decode", p["broken"], "-i", "x"],
              ["eval", p["missing"], "--checkpoint", p["dir"]], ["train", p["ok"], "--data", p["header"], "--task", "x"],
              ["train", p["ok"], "--resume", p["ok"]], ["decode", p["dec"], "-i", "abc", "--tree", p["dir"]],
              ["check", p["ok"], "extra"], ["train", p["dec"]], ["decode", p["dec"], "-i", "abc", "--n-best", "-1"],
              ["train", p["ok"], "--data", ""], ["train", p["ok"], "--probe-every", "-1"], ["train", p["ok"], "--lr"],
              ["decode", p["dec"], "-i", "abc", "--beam", "x"], ["decode", p["spell"], "-i", "3", "--tree", "tree.txt"],
              ["eval", p["ok"], "--checkpoint", p["missing"], "--batch-size", "0"], ["train", p["file"]],
              ["decode", p["dec"], "--input"]]
    for flag, values in (("--max-len", ("1000000000", "0", "-1")), ("--min-len", ("-1", "100000")),
                         ("--alpha", ("nan", "-1", "inf")), ("--beam", ("0", "-3", "100000")),
                         ("--n-best", ("0",)), ("--keep-pruned", ("-1",)), ("--tree", ("x.png", p["file"] + "/t.json")),
                         ("--device", ("tpu",)), ("--checkpoint", (p["missing"], p["file"], p["broken"]))):
        cases += [dec + [flag, v] for v in values]
    return cases


class _HangError(Exception):
    pass


def run_cli_cases(limit_s: float = 60.0) -> dict[str, Any]:
    """Run every bad invocation in this process (stdout/stderr captured, a SIGALRM for hangs)."""
    from engine.cli.main import main

    out: dict[str, Any] = {"invocations": 0, "internal_errors": 0, "tracebacks": 0, "hangs": 0, "exit_0": 0,
                           "codes": {}, "examples": []}

    def alarm(signum: int, frame: Any) -> None:
        raise _HangError

    previous = signal.signal(signal.SIGALRM, alarm)
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.chdir(folder)  # default run folders land here, not in the checkout
        try:
            for argv in bad_invocations(_cli_fixtures(folder)):
                out["invocations"] += 1
                err, std = io.StringIO(), io.StringIO()
                signal.alarm(int(limit_s))
                try:
                    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
                        code = main(argv)
                except _HangError:
                    out["hangs"] += 1
                    out["examples"].append({"argv": argv, "what": "hang"})
                    continue
                except SystemExit as exc:
                    code = int(exc.code or 0)
                except BaseException as exc:  # noqa: BLE001 - a traceback would reach the user
                    out["tracebacks"] += 1
                    out["examples"].append({"argv": argv, "what": f"{type(exc).__name__}: {exc}"})
                    continue
                finally:
                    signal.alarm(0)
                text = err.getvalue()
                out["codes"][str(code)] = out["codes"].get(str(code), 0) + 1
                if code == 3 or "internal error" in text:
                    out["internal_errors"] += 1
                    out["examples"].append({"argv": argv, "what": text.strip()[:300]})
                elif "Traceback" in text:
                    out["tracebacks"] += 1
                elif code == 0:
                    out["exit_0"] += 1
                    out["examples"].append({"argv": argv, "what": "accepted (exit 0)"})
        finally:
            os.chdir(cwd)
            signal.signal(signal.SIGALRM, previous)
    return out


# ---------------------------------------------------------------------- killed writers
def _kill_after(child: Any, delay: float) -> None:
    """Fork, run ``child`` in the child (it never returns), SIGKILL it after ``delay`` seconds."""
    pid = os.fork()
    if pid == 0:
        try:
            child()
        finally:
            os._exit(0)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def killed_saves(n: int, seed: int = 0) -> dict[str, Any]:
    """``n`` writers saving ever-changing 2,000-node designs to one file, each killed mid-save."""
    from engine.document.design_file import load_design, parse_design_text, save_design
    from engine.files import TEMP_SUFFIX

    rng = random.Random(seed)
    base = parse_design_text(_chain_text(2000))
    out = {"kills": n, "corrupt": 0, "temp_files_after_kill": 0, "temp_files_after_next_save": 0, "mode_changed": 0}
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "big.rnnd"
        save_design(base, target)
        os.chmod(target, 0o644)

        def writer() -> None:
            i = 0
            while True:
                i += 1
                base.set_name(f"save {i}")
                save_design(base, target)

        for _ in range(n):
            _kill_after(writer, rng.uniform(0.02, 0.3))
            out["temp_files_after_kill"] += len(list(Path(tmp).glob(f"*{TEMP_SUFFIX}")))
            try:
                load_design(target)
            except Exception:  # noqa: BLE001 - a half-written file
                out["corrupt"] += 1
            if (target.stat().st_mode & 0o777) != 0o644:
                out["mode_changed"] += 1
            save_design(base, target)  # the next save cleans what the killed one left
            out["temp_files_after_next_save"] += len(list(Path(tmp).glob(f"*{TEMP_SUFFIX}")))
    return out


def killed_trainings(n: int, seed: int = 0) -> dict[str, Any]:
    """``n`` trainings checkpointing at every step, each killed with SIGKILL at a random moment;
    then every checkpoint left is loaded: accepted (and its weights are the step its sidecar names)
    or refused — never accepted and mismatched."""
    import torch

    from engine.data import get_task
    from engine.document.templates import template
    from engine.errors import CheckpointError
    from engine.training.checkpoint import load_checkpoint, read_sidecar
    from engine.training.trainer import Trainer, TrainSettings, build_model

    torch.set_num_threads(1)  # a forked child must not wait on the parent's thread pool
    rng = random.Random(seed)
    design = template("many-to-one", cell="gru", hidden_size=16)
    task = get_task("adding", seq_len=10, train_size=512, val_size=16)
    Trainer(build_model(design), task, TrainSettings(steps=2, probe_every=0), design=design).run()  # warm
    out = {"kills": n, "checkpoints_examined": 0, "accepted": 0, "recovered_from_own_record": 0,
           "refused_mismatched_pair": 0, "refused_other": 0, "accepted_but_mismatched": 0, "none_yet": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for trial in range(n):
            run = Path(tmp) / f"run{trial}"

            def child(run: Path = run) -> None:
                settings = TrainSettings(batch_size=16, steps=100_000, eval_every=1, probe_every=0, out_dir=str(run),
                                         tensorboard=False)
                Trainer(build_model(design), task, settings, design=design).run()

            _kill_after(child, rng.uniform(0.3, 1.5))
            for name in ("latest", "best"):
                if not (run / f"{name}.json").exists() and not (run / f"{name}.safetensors").exists():
                    out["none_yet"] += 1
                    continue
                out["checkpoints_examined"] += 1
                try:
                    ckpt = load_checkpoint(run / name, design=design, model=build_model(design))
                except CheckpointError as exc:
                    key = "refused_mismatched_pair" if "different saves" in str(exc) else "refused_other"
                    out[key] += 1
                    continue
                out["accepted"] += 1
                out["recovered_from_own_record"] += "recovered" in ckpt.meta
                own_step = _weights_step(run / f"{name}.safetensors")  # what the weights file itself says
                if own_step != ckpt.step or own_step != read_sidecar(run / name)["step"]:
                    out["accepted_but_mismatched"] += 1
    return out


def _weights_step(path: Path) -> int:
    """The step the weights file itself records (in its safetensors header), independent of the sidecar."""
    blob = path.read_bytes()
    n = int.from_bytes(blob[:8], "little")
    return int(json.loads(blob[8:8 + n])["__metadata__"]["step"])


# ---------------------------------------------------------------------- scaling
def _chain_text(n: int) -> str:
    nodes = [{"id": "x", "kind": "sequence_input", "params": {"features": 2}}]
    edges, prev = [], "x"
    for i in range(n - 3):
        nodes.append({"id": f"d{i}", "kind": "dense", "params": {"units": 4}, "position": [i * 10.0, 0.0]})
        edges.append({"source": {"node": prev, "port": "out"}, "target": {"node": f"d{i}", "port": "in"}})
        prev = f"d{i}"
    nodes += [{"id": "last", "kind": "last_step"}, {"id": "head", "kind": "regressor"}]
    edges += [{"source": {"node": prev, "port": "out"}, "target": {"node": "last", "port": "in"}},
              {"source": {"node": "last", "port": "out"}, "target": {"node": "head", "port": "in"}}]
    return json.dumps({"format_version": 1, "name": f"chain-{n}", "nodes": nodes, "edges": edges})


def load_scaling(repeats: int = 7) -> dict[str, Any]:
    """Load + check of 1,000- and 2,000-node chains, interleaved; the ratio says how it grows."""
    from engine.document.design_file import parse_design_text
    from engine.model.check import check_design

    texts = {n: _chain_text(n) for n in (1000, 2000)}
    times: dict[int, list[float]] = {1000: [], 2000: []}
    for i in range(repeats + 1):
        for n in (1000, 2000) if i % 2 == 0 else (2000, 1000):
            t0 = time.perf_counter()
            check_design(parse_design_text(texts[n]))
            if i:  # the first round warms up
                times[n].append(time.perf_counter() - t0)
    med = {n: statistics.median(t) for n, t in times.items()}
    return {"median_s": med, "spread_s": {n: (min(t), max(t)) for n, t in times.items()},
            "ratio_2000_over_1000": med[2000] / med[1000], "bytes_2000": len(texts[2000])}


# ---------------------------------------------------------------------- the table
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reliability", description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=10_000, help="fuzzed design files (default 10,000)")
    parser.add_argument("--kills", type=int, default=100, help="killed saves and killed trainings, each (default 100)")
    parser.add_argument("--quick", action="store_true", help="1,000 designs and 20 kills")
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.designs, args.kills = 1000, 20
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.2f} on {os.cpu_count()} cores (figures of time move with it; counts do not)")
    started = time.perf_counter()
    figures: dict[str, Any] = {"load_average": load}
    t0 = time.perf_counter()
    fuzz = run_fuzz(args.designs)
    figures["fuzz"] = {"cases": fuzz.cases, "loaded": fuzz.loaded, "refused": fuzz.refused,
                       "foreign": dict(fuzz.foreign), "seconds": time.perf_counter() - t0}
    figures["cli"] = run_cli_cases()
    figures["saves"] = killed_saves(args.kills)
    figures["trainings"] = killed_trainings(args.kills)
    figures["scaling"] = load_scaling()
    figures["seconds"] = time.perf_counter() - started
    f, c, s, t, sc = figures["fuzz"], figures["cli"], figures["saves"], figures["trainings"], figures["scaling"]
    rows = [
        ("fuzzed design files", f"{f['cases']:,}", f"foreign exceptions {sum(f['foreign'].values())}"
         f" ({f['loaded']:,} loaded, {f['refused']:,} refused with DesignFileError/DesignError)"),
        ("bad command lines", f"{c['invocations']}", f"internal-error exits {c['internal_errors']}, tracebacks "
         f"{c['tracebacks']}, hangs {c['hangs']}, accepted {c['exit_0']}; exit codes {c['codes']}"),
        ("saves killed with SIGKILL", f"{s['kills']}", f"corrupt {s['corrupt']}, temp files left after the next save "
         f"{s['temp_files_after_next_save']} (right after the kills: {s['temp_files_after_kill']}), mode changed "
         f"{s['mode_changed']}"),
        ("trainings killed while checkpointing", f"{t['kills']}", f"accepted but mismatched {t['accepted_but_mismatched']}"
         f" of {t['checkpoints_examined']} checkpoints ({t['accepted']} accepted, {t['recovered_from_own_record']} of "
         f"them stale sidecars replaced by the weights' own record; {t['refused_mismatched_pair']} refused as "
         f"mismatched pairs, {t['refused_other']} refused otherwise)"),
        ("load + check, 2,000-node chain", f"{sc['median_s'][2000]:.3f} s",
         f"1,000 nodes {sc['median_s'][1000]:.3f} s; ratio {sc['ratio_2000_over_1000']:.2f} (2.00 = linear); "
         f"spread {sc['spread_s'][2000][0]:.3f}-{sc['spread_s'][2000][1]:.3f} s (1,000: "
         f"{sc['spread_s'][1000][0]:.3f}-{sc['spread_s'][1000][1]:.3f} s)"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, n, result in rows:
        print(f"{name:<{width}}  {n:>9}  {result}")
    for example in c["examples"][:10]:
        print("  cli:", " ".join(example["argv"]), "->", example["what"])
    for name, trace in fuzz.examples.items():
        print(f"  foreign {name}: {trace[-600:]}")
    print(f"total {figures['seconds']:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
