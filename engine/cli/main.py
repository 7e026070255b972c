"""``rnn-designer check | train | eval | decode``: the headless command line, thin over the engine API.

Exit status: 0 success, 1 the design has errors (or the run failed for a reason the user can fix),
2 a file cannot be read or the arguments are wrong. Messages name the file, node, port or field;
a user never sees a Python traceback (set ``RNN_DESIGNER_DEBUG=1`` to get one).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence

from engine.document.design_file import load_design
from engine.errors import DesignerError, DesignFileError
from engine.model.graph import CheckReport, check_design

SUBCOMMANDS = ("check", "train", "eval", "decode")
# Subcommands that live in their own modules: (module, function registering the subparser).
_PLUGINS = (("engine.cli.train", "add_train_parser"), ("engine.cli.train", "add_eval_parser"),
            ("engine.cli.decode", "add_decode_parser"))


def format_report(report: CheckReport, design_name: str, kinds: dict[str, str]) -> str:
    """A table in the spirit of MATLAB's Analyze Network: node, kind, output shape, parameters, problems."""
    rows = [("node", "kind", "output shape", "params", "problems")]
    problem_nodes = {p.node_id for p in report.problems}
    for node_id in report.order or sorted(kinds):
        shapes = report.shapes.get(node_id, {})
        shape = "  ".join(f"{port}: {s}" if len(shapes) > 1 else str(s) for port, s in shapes.items()) or "?"
        n = sum(1 for p in report.problems if p.node_id == node_id)
        rows.append((node_id, kinds.get(node_id, ""), shape, f"{report.param_counts.get(node_id, 0):,}",
                     f"{n}" if node_id in problem_nodes else ""))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(f"design: {design_name}")
    lines.append(f"architecture: {report.architecture or 'unknown (fix the errors below)'}")
    lines.append(f"total parameters: {report.total_params:,}")
    for p in report.problems:
        lines.append(f"{p.severity}: {p.message}")
    lines.append("clean: no errors" if report.ok else f"{len(report.errors)} error(s)")
    return "\n".join(lines)


def report_to_json(report: CheckReport, design_name: str, kinds: dict[str, str]) -> dict:
    return {
        "design": design_name,
        "architecture": report.architecture,
        "total_params": report.total_params,
        "ok": report.ok,
        "nodes": [{"id": n, "kind": kinds.get(n, ""),
                   "outputs": {port: str(s) for port, s in report.shapes.get(n, {}).items()},
                   "params": report.param_counts.get(n, 0)} for n in (report.order or sorted(kinds))],
        "problems": [{"severity": p.severity, "node": p.node_id, "port": p.port, "message": p.message}
                     for p in report.problems],
    }


def _check(args: argparse.Namespace) -> int:
    design = load_design(args.design)
    report = check_design(design)
    kinds = {n.id: n.kind for n in design.nodes.values()}
    if args.json:
        print(json.dumps(report_to_json(report, design.name, kinds), indent=2))
    else:
        print(format_report(report, design.name, kinds))
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnn-designer",
        description="Design, check, train and decode recurrent neural networks. Run without arguments to open the window.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check", help="check a design: shapes, ports, cycles, architecture, parameter counts")
    check.add_argument("design", help="a design file (.rnnd)")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(func=_check)
    for module, function in _PLUGINS:
        try:
            getattr(importlib.import_module(module), function)(sub)
        except (ImportError, AttributeError):
            continue
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage error
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except DesignFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DesignerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one line, keep the traceback for those who ask
        if os.environ.get("RNN_DESIGNER_DEBUG"):
            raise
        print(f"internal error ({type(exc).__name__}): {exc}. Please report it; set RNN_DESIGNER_DEBUG=1 for "
              "the traceback.", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
