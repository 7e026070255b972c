"""``rnn-designer decode DESIGN --checkpoint CKPT --input TEXT [--beam 5] [--max-len N] [--tree FILE]``.

Loads the design, compiles it, loads the trained weights, encodes each ``--input`` with the source
vocabulary of the design's task (``metadata["task"]``), runs one batched beam search over all of
them and prints each n-best list with scores. ``--tree FILE.json|FILE.dot`` writes the search tree
of the (first) input, built step by step by :class:`engine.beam.BeamSearch`.

How an input is read depends on the design's input block: token ids through the task's source
vocabulary (characters, or words when the vocabulary joins with spaces), or ``--ids`` for raw ids;
a class id as an integer; a vector as comma-separated numbers; a real sequence as ``;``-separated
steps of comma-separated numbers.
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from engine.devices import pick_device
from engine.errors import DataError, DesignerError

log = logging.getLogger(__name__)


def add_decode_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "decode", help="decode inputs with a trained decoder: beam search, n-best list, search tree",
        description="Beam search on a trained decoder (one-to-many, encoder-decoder, or a token language "
                    "model continuing a prompt). Prints the n-best list of each input with its scores.")
    p.add_argument("design", help="a design file (.rnnd)")
    p.add_argument("--checkpoint", "-c", metavar="CKPT",
                   help="trained weights: a checkpoint written by 'rnn-designer train' (NAME.safetensors beside "
                        "NAME.json, or a run folder for its latest), or a bare .safetensors of the model's "
                        "state_dict; without it the untrained (random) weights are used, with a warning")
    p.add_argument("--input", "-i", metavar="TEXT", action="append", required=True,
                   help="the source to decode (repeat for several; they are searched as one batch)")
    p.add_argument("--ids", action="store_true", help="inputs are space-separated token ids, not text")
    p.add_argument("--beam", "-b", type=int, default=5, metavar="WIDTH", help="beam width (1 = greedy; default 5)")
    p.add_argument("--max-len", type=int, default=None, metavar="N",
                   help="longest output in tokens (default: the decoder's max length)")
    p.add_argument("--min-len", type=int, default=0, metavar="N", help="tokens before <eos> is allowed (default 0)")
    p.add_argument("--alpha", type=float, default=0.0,
                   help="length normalisation: rank by log-prob / length**alpha (default 0: plain sum)")
    p.add_argument("--n-best", type=int, default=None, metavar="N", help="hypotheses to print (default: the beam width)")
    p.add_argument("--tree", metavar="FILE", help="write the search tree of the first input (.json or .dot)")
    p.add_argument("--keep-pruned", type=int, default=None, metavar="K",
                   help="pruned candidates kept in the tree per expanded hypothesis (default: the beam width)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto (default cpu)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=run_decode)
    return p


# ---------------------------------------------------------------------- reading inputs
def _input_size(model: Any) -> int | None:
    """engine.beam.inputs.input_size, imported on use: it loads torch, which parsing arguments must not."""
    from engine.beam.inputs import input_size

    return input_size(model)


def encode_input(text: str, model: Any, vocab: Any, ids: bool = False) -> tuple[Any, int | None]:
    """One source example (no batch dim) and its length, read the way the design's input wants."""
    import torch

    kind = model.input_kind
    if kind == "token_input":
        if ids:
            try:
                toks = [int(t) for t in text.replace(",", " ").split()]
            except ValueError:
                raise DataError(f'--input "{text}": with --ids, give space-separated integer token ids') from None
        else:
            if vocab is None:
                raise DataError("the design names no task with a source vocabulary (metadata \"task\"), so text "
                                "cannot be turned into token ids; pass --ids with space-separated ids")
            toks = vocab.encode(text.split(vocab.join) if vocab.join else list(text))
        if not toks:
            raise DataError(f'--input "{text}": empty input')
        _check_ids(text, toks, model, "token id", "source vocabulary")
        return torch.tensor(toks, dtype=torch.long), len(toks)
    size = _input_size(model)
    try:
        if kind == "class_input":
            value = int(text.strip())
            _check_ids(text, [value], model, "class id", "classes")
            return torch.tensor(value, dtype=torch.long), None
        if kind == "vector_input":
            values = [_finite(v) for v in text.split(",")]
            if size and len(values) != size:
                raise DataError(f'--input "{text}": {len(values)} numbers, but the design\'s input "{model.input_node}" '
                                f"takes a vector of {size}")
            return torch.tensor(values), None
        if kind == "sequence_input":
            steps = [[_finite(v) for v in step.split(",")] for step in text.split(";") if step.strip()]
            wrong = next((i for i, st in enumerate(steps) if size and len(st) != size), None)
            if wrong is not None:
                raise DataError(f'--input "{text}": step {wrong + 1} has {len(steps[wrong])} numbers, but the design\'s '
                                f'input "{model.input_node}" takes {size} features per step')
            if steps:
                return torch.tensor(steps), len(steps)
    except ValueError:
        pass
    forms = {"class_input": "an integer class id", "vector_input": "comma-separated numbers",
             "sequence_input": "steps separated by ';', each comma-separated numbers"}
    raise DataError(f'--input "{text}": the design\'s input "{model.input_node}" wants {forms.get(kind, kind)}')


def _finite(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def _check_ids(text: str, ids: list[int], model: Any, what: str, space: str) -> None:
    """Every id within the input's vocabulary or classes, else a DataError naming the --input."""
    size = _input_size(model)
    bad = next((t for t in ids if t < 0 or (size and t >= size)), None)
    if bad is not None:
        limit = f" (0 to {size - 1})" if size else ""
        raise DataError(f'--input "{text}": {what} {bad} is outside the design\'s {space}{limit}')


def check_search_flags(args: argparse.Namespace) -> None:
    """The search flags in range, each error naming its flag (a bounded --max-len: a search of a
    billion steps would not end)."""
    import math

    from engine.beam.core import MAX_LEN

    checks = (("--beam", args.beam, 1, 1000), ("--n-best", args.n_best, 1, 1000), ("--max-len", args.max_len, 1, MAX_LEN),
              ("--min-len", args.min_len, 0, MAX_LEN - 1), ("--keep-pruned", args.keep_pruned, 0, 1000))
    for flag, value, lo, hi in checks:
        if value is not None and not lo <= value <= hi:
            raise DesignerError(f"{flag} {value}: must be between {lo} and {hi:,}")
    if not (math.isfinite(args.alpha) and args.alpha >= 0):
        raise DesignerError(f"--alpha {args.alpha}: the length normalisation must be a finite number ≥ 0 "
                            "(0: plain sum of log-probabilities; 0.6–1: favour longer outputs)")
    if args.max_len is not None and args.min_len >= args.max_len:
        raise DesignerError(f"--min-len {args.min_len}: must be less than --max-len {args.max_len}")


# ---------------------------------------------------------------------- the command
def run_decode(args: argparse.Namespace) -> int:

    from engine.beam import BeamSearch, beam_search
    from engine.document.design_file import load_design
    from engine.model.compiler import compile_design
    from engine.training.restore import load_weights, vocabularies  # torch: loaded for decode only, not for --help

    if args.tree and Path(args.tree).suffix.lower() not in (".json", ".dot", ".gv"):
        raise DesignerError(f"--tree {args.tree}: the tree is written as .json or .dot")
    check_search_flags(args)
    design = load_design(args.design)
    model = compile_design(design)
    if not model.can_decode:
        raise DesignerError(f'design "{design.name}" ({model.architecture}) cannot generate sequences: decoding '
                            "needs a decoder block, or a causal token model with a classifier over its own vocabulary")
    meta: dict[str, Any] = {}
    if args.checkpoint:
        meta = load_weights(model, args.checkpoint, design)
    else:
        log.warning("no --checkpoint given; decoding with untrained random weights")
    device = pick_device(args.device)
    model.to(device).eval()
    in_vocab, out_vocab = vocabularies(design, meta)
    sources = [encode_input(t, model, in_vocab, args.ids) for t in args.input]
    opts = dict(beam_width=args.beam, max_len=args.max_len, alpha=args.alpha, n_best=args.n_best,
                min_len=args.min_len)
    try:
        x, lengths = _batch(sources)
        results = beam_search(model, x.to(device), lengths, **opts)
        if args.tree:
            src, n = sources[0]
            bs = BeamSearch(model, src, n, keep_pruned=args.keep_pruned, vocab=out_vocab, **opts)
            bs.run()
            bs.save(args.tree)
    except ValueError as exc:
        raise DesignerError(str(exc)) from None
    except OSError as exc:
        raise DesignerError(f"{args.tree}: cannot be written ({exc.strerror or exc})") from None

    def text_of(h: Any) -> str:
        if out_vocab is not None:
            return out_vocab.decode(h.tokens)
        return " ".join(str(t) for t in h.tokens if t != model.eos_id)

    if args.json:
        print(json.dumps([{"input": t, "results": [dict(h.to_dict(), text=text_of(h)) for h in hs]}
                          for t, hs in zip(args.input, results)], indent=2, ensure_ascii=False))
    else:
        for i, (t, hs) in enumerate(zip(args.input, results)):
            if i:
                print()
            print(f"input: {t}")
            print(f"{'rank':>4}  {'score':>9}  {'log-prob':>9}  {'len':>3}  output")
            for r, h in enumerate(hs, 1):
                end = "" if h.finished_by == "eos" else "  (no <eos>: max length)"
                print(f"{r:>4}  {h.score:>9.4f}  {h.logprob:>9.4f}  {len(h.tokens):>3}  {text_of(h)}{end}")
        if args.tree:
            print(f"\nsearch tree of the first input written to {args.tree}")
    return 0


def _batch(sources: list[tuple[Any, int | None]]) -> tuple[Any, Any]:
    """Stack single examples into a batch, padding token and real sequences to the longest."""
    import torch

    xs = [s for s, _ in sources]
    if sources[0][1] is None:
        return torch.stack(xs), None
    lengths = torch.tensor([n for _, n in sources], dtype=torch.long)
    T = int(lengths.max())
    shape = (len(xs), T) + tuple(xs[0].shape[1:])
    x = torch.zeros(shape, dtype=xs[0].dtype)
    for i, s in enumerate(xs):
        x[i, : s.shape[0]] = s
    return x, lengths
