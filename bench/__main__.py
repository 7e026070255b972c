"""``make bench``: every figure of docs/benchmarks.md, measured side by side, printed as one table.

    python -m bench                  # everything on the CPU
    python -m bench --quick          # small shapes only (a minute or two)
    python -m bench --only P1,P2     # some figures
    python -m bench --device cuda    # the same table on a GPU

Results go to bench/results.json (bench/results-<device>.json for other devices).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import torch

from . import beam, gui, probes, startup, steps
from .harness import Row, set_device, table, write_results

SUITES: dict[str, Callable[[torch.device, bool], list[Row]]] = {
    "P1": steps.p1,
    "P2": steps.p2,
    "P3": probes.p3,
    "P4": steps.p4,
    "P5": beam.p5,
    "P6": gui.p6,
    "P7": startup.p7,
    "P8": gui.p8,
    "memory": gui.memory,
    "scaling": steps.scaling,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--quick", action="store_true", help="small shapes and fewer repeats")
    parser.add_argument("--only", default="", help="comma-separated figure ids, e.g. P1,P5")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("bench: --device cuda asked for, but torch sees no CUDA device", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    device = set_device(args.device)
    wanted = [s.strip() for s in args.only.split(",") if s.strip()] or list(SUITES)
    unknown = [w for w in wanted if w not in SUITES]
    if unknown:
        print(f"bench: unknown figure(s) {', '.join(unknown)}; known: {', '.join(SUITES)}", file=sys.stderr)
        return 2
    rows: list[Row] = []
    for name in wanted:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        rows.extend(SUITES[name](device, args.quick))
    print(table(rows))
    out = Path(__file__).with_name("results.json" if args.device == "cpu" else f"results-{args.device}.json")
    write_results(rows, out, {"quick": args.quick, "threads": torch.get_num_threads()})
    print(f"\nthreads={torch.get_num_threads()} device={args.device}; written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
