"""``rnn-designer check | train | eval | decode | export | examples``: the headless command line, thin over the engine API.

Global options: ``--version``; ``-v/--verbose`` (repeat for debug detail) and ``-q/--quiet`` (errors and
results only) set the level of the diagnostics, which go through :mod:`logging` to stderr; tables
and results go to stdout.

Exit status: 0 success, 1 the design has errors (or the run failed for a reason the user can fix),
2 a file cannot be read or the arguments are wrong. Messages name the file, node, port or field;
a user never sees a Python traceback (set ``RNN_DESIGNER_DEBUG=1`` to get one).
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from engine.document.design_file import load_design
from engine.errors import DesignerError, DesignFileError
from engine.model.check import check_design
from engine.model.graph import CheckReport
from engine.resources import package_version

SUBCOMMANDS = ("check", "train", "eval", "decode", "export", "examples")
# Subcommands that live in their own modules: (module, function registering the subparser).
_PLUGINS = (("engine.cli.train", "add_train_parser"), ("engine.cli.train", "add_eval_parser"),
            ("engine.cli.decode", "add_decode_parser"), ("engine.cli.export", "add_export_parser"))


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


log = logging.getLogger(__name__)


def _check(args: argparse.Namespace) -> int:
    design = load_design(args.design)
    log.info("%s: design %s, %d nodes, %d wires", args.design, design.name, len(design.nodes), len(design.edges))
    report = check_design(design)
    kinds = {n.id: n.kind for n in design.nodes.values()}
    if args.json:
        print(json.dumps(report_to_json(report, design.name, kinds), indent=2))
    else:
        print(format_report(report, design.name, kinds))
    return 0 if report.ok else 1


def format_examples(examples: Sequence) -> str:  # Sequence[BundledExample]
    """The bundled examples as a table: name, architecture, task, path; then how to use one."""
    rows = [("name", "architecture", "task", "path")]
    rows += [(e.name, e.architecture, e.task, str(e.path)) for e in examples]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append("open one in the window: rnn-designer PATH    check or train it: rnn-designer check|train PATH")
    return "\n".join(lines)


def _examples(args: argparse.Namespace) -> int:
    from engine.model.examples import bundled_examples

    examples = bundled_examples()
    if not examples:
        raise DesignerError("no bundled example designs found; reinstall rnn-designer")
    if args.json:
        print(json.dumps([e.to_dict() for e in examples], indent=2))
    else:
        print(format_examples(examples))
    return 0


_VERBOSE_HELP = "say more on stderr (-vv: debug detail)"
_QUIET_HELP = "print only errors and the results"


def _add_verbosity_flags(parser: argparse.ArgumentParser, prefix: str) -> None:
    """-v/--verbose and -q/--quiet on ``parser``, skipping a flag a subcommand already defines (train's --quiet)."""
    for flags, kwargs in ((("-v", "--verbose"), {"action": "count", "help": _VERBOSE_HELP, "dest": f"{prefix}verbose"}),
                          (("-q", "--quiet"), {"action": "store_true", "help": _QUIET_HELP, "dest": f"{prefix}quiet"})):
        if prefix == "sub_":  # the main parser's value stands unless the flag is given after the subcommand
            kwargs["default"] = argparse.SUPPRESS
        try:
            parser.add_argument(*flags, **kwargs)
        except argparse.ArgumentError:
            for flag in flags:
                try:
                    parser.add_argument(flag, **kwargs)
                except argparse.ArgumentError:
                    continue


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnn-designer",
        description="Design, check, train and decode recurrent neural networks. Run without arguments to open the window.")
    parser.add_argument("--version", action="version", version=f"rnn-designer {package_version()}")
    _add_verbosity_flags(parser, "global_")
    parser.set_defaults(global_verbose=0)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check", help="check a design: shapes, ports, cycles, architecture, parameter counts")
    check.add_argument("design", help="a design file (.rnnd)")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(func=_check)
    examples = sub.add_parser("examples", help="list the bundled example designs: name, architecture, task, path")
    examples.add_argument("--json", action="store_true", help="print the list as JSON")
    examples.set_defaults(func=_examples)
    for module, function in _PLUGINS:
        try:
            getattr(importlib.import_module(module), function)(sub)
        except (ImportError, AttributeError):
            continue
    for subparser in sub.choices.values():
        _add_verbosity_flags(subparser, "sub_")
    return parser


def verbosity_of(args: argparse.Namespace) -> int:
    """-1 quiet, 0 normal, 1 verbose, 2 debug, from the flags before or after the subcommand.

    Sets ``args.quiet`` so a subcommand's own quiet mode (train's progress) follows either spelling."""
    quiet = bool(args.global_quiet or getattr(args, "sub_quiet", False) or getattr(args, "quiet", False))
    if hasattr(args, "quiet") or quiet:
        args.quiet = quiet
    verbose = (args.global_verbose or 0) + (getattr(args, "sub_verbose", 0) or 0)
    return -1 if quiet else min(verbose, 2)


class _DiagnosticFormatter(logging.Formatter):
    """``warning: message`` like the CLI's errors; -v notes plain; debug lines name their logger."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        if record.levelno == logging.INFO:
            return message
        if record.levelno == logging.DEBUG:
            return f"debug {record.name}: {message}"
        return f"{record.levelname.lower()}: {message}"


@contextmanager
def diagnostics(verbosity: int) -> Iterator[None]:
    """Send log records at the level ``verbosity`` asks for to stderr while a command runs."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_DiagnosticFormatter())
    handler.setLevel(level)
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


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
    verbosity = verbosity_of(args)
    if verbosity < 0 and (args.global_verbose or getattr(args, "sub_verbose", 0)):
        print("rnn-designer: error: -q/--quiet and -v/--verbose cannot be used together", file=sys.stderr)
        return 2
    try:
        with diagnostics(verbosity):
            log.debug("rnn-designer %s, Python %s", package_version(), sys.version.split()[0])
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
    except BrokenPipeError:  # `rnn-designer examples | head`: the reader has all it wants
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        except (OSError, ValueError, AttributeError):  # stdout is not a real file (a test's capture)
            pass
        return 141  # 128 + SIGPIPE, as a shell reports a pipe closed early
    except Exception as exc:  # a bug: say so in one line, keep the traceback for those who ask
        if os.environ.get("RNN_DESIGNER_DEBUG"):
            raise
        print(f"internal error ({type(exc).__name__}): {exc}. Please report it; set RNN_DESIGNER_DEBUG=1 for "
              "the traceback.", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
