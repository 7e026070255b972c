"""P5: batched beam search ÷ a per-hypothesis loop, and the time of one interactive ``step()``.

    python -m bench.beam [--device cpu|cuda] [--quick] [--checkpoint CKPT]

The model is the date-translation encoder-decoder (``assets/examples/dates-gru-seq2seq.rnnd``:
bidirectional GRU encoder, GRU decoder, H = 128, V = 15) on real inputs from the dates task's
validation set. Without ``--checkpoint`` its weights are random; then no hypothesis ends early and
every search runs the decoder's full 12 steps on both sides — the same work a trained model does
for an ISO date (10 characters and ``<eos>``).

The baseline is how one writes beam search without batching: each input alone, the encoder run
once per input, and every hypothesis advanced by its own ``decode_step`` call (N = 1), the
candidates ranked in Python — with the same rule (2β candidates, ``<eos>`` among the first β
finishes, stop at β finished), so both sides return identical n-best lists, which is checked.

``step()`` is timed on an encoder-decoder with V = 100 target tokens (H = 128) at β = 10 with the
tree update (β pruned candidates kept per expanded hypothesis): the median and the worst step over
whole searches. Each figure is measured at 1 torch thread and at torch's own thread count (both
sides alike); on a machine busy with other work the multi-threaded figures suffer from
oversubscription (a search's matrices are small). Results: printed as a table and written to
``bench/results_beam.json``. ``p5(device, quick)`` gives the rows to the ``python -m bench`` table.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from engine.beam import BeamSearch, beam_search
from engine.beam.core import make_settings
from engine.document.design_file import load_design
from engine.document.templates import template
from engine.model.compiler import compile_design

try:  # inside the bench package (python -m bench), or run on its own (python -m bench.beam)
    from .harness import Row, machine, paired_medians, set_device, sync, table
except ImportError:  # pragma: no cover
    from bench.harness import Row, machine, paired_medians, set_device, sync, table

ROOT = Path(__file__).resolve().parent.parent
DESIGN = ROOT / "assets" / "examples" / "dates-gru-seq2seq.rnnd"


# ---------------------------------------------------------------------- the baseline
@torch.no_grad()
def naive_beam_search(model, x, lengths, beam_width: int, max_len: int | None = None):
    """Beam search one input and one hypothesis at a time (the same selection rule as engine.beam)."""
    s = make_settings(model, beam_width, max_len)
    banned = list(s.banned)
    results = []
    for b in range(x.shape[0]):
        n = int(lengths[b]) if lengths is not None else x.shape[1]
        state0, start = model.decode_init(x[b:b + 1, :n], None)
        beam = [(0.0, [], state0, start)]  # (cumulative log-prob, tokens, state, last token)
        finished = []
        for t in range(s.max_len):
            cands = []  # (score, hypothesis index, token, state after the step)
            for i, (score, _toks, state, last) in enumerate(beam):
                lp, new_state = model.decode_step(last, state)
                lp = lp[0].float().clone()
                lp[banned] = float("-inf")
                top_v, top_i = (score + lp).topk(min(2 * beam_width, lp.shape[0]))
                for v, tok in zip(top_v.tolist(), top_i.tolist()):
                    cands.append((v, i, tok, new_state))
            cands.sort(key=lambda c: -c[0])
            cands = cands[: 2 * beam_width]
            nxt = []
            for r, (v, i, tok, st) in enumerate(cands):
                if tok == s.eos:
                    if r < beam_width:
                        finished.append((v, beam[i][1] + [tok]))
                elif len(nxt) < beam_width:
                    nxt.append((v, beam[i][1] + [tok], st, torch.tensor([tok], device=x.device)))
            if t + 1 == s.max_len:
                finished += [(v, toks) for v, toks, _, _ in nxt]
                break
            if len(finished) >= beam_width:
                break
            beam = nxt
        finished.sort(key=lambda f: -f[0])
        results.append([tuple(toks) for _, toks in finished[: beam_width]])
    return results


# ---------------------------------------------------------------------- the figures
def _dates_batch(B: int, device: torch.device):
    from engine.data import get_task

    val = get_task("dates", val_size=max(B, 8)).split("val")
    x, lengths = val.x[:B], val.lengths[:B]
    T = int(lengths.max())
    return x[:, :T].to(device), lengths.to(device)


def p5(device: torch.device, quick: bool = False, checkpoint: str | None = None) -> list[Row]:
    torch.manual_seed(0)
    design = load_design(DESIGN)
    model = compile_design(design)
    weights = "random"
    if checkpoint:
        from engine.training.restore import load_weights

        load_weights(model, checkpoint, design)
        weights = checkpoint
    model = model.to(device).eval()
    B = 8 if quick else 32
    x, lengths = _dates_batch(B, device)
    rows = []
    for width in (5, 10):
        batched = [[h.tokens for h in hs] for hs in beam_search(model, x, lengths, beam_width=width)]
        naive = naive_beam_search(model, x, lengths, width)
        same = batched == naive
        a, b = paired_medians(lambda w=width: beam_search(model, x, lengths, beam_width=w),
                              lambda w=width: naive_beam_search(model, x, lengths, w),
                              repeats=3 if quick else 5, warmup=1)
        r = a / b
        rows.append(Row("P5", f"batched beam search ÷ per-hypothesis loop, β={width}",
                        f"dates seq2seq H=128 V=15, B={B}", r, "≤ 0.2", r <= 0.2,
                        detail={"batched_ms": a * 1e3, "naive_ms": b * 1e3, "speedup": b / a,
                                "identical_nbest": same, "weights": weights}))
        if not same:
            print(f"bench: P5 β={width}: the batched and the naive search disagree", file=sys.stderr)
    rows.append(step_time(device, quick))
    return rows


def step_time(device: torch.device, quick: bool = False, width: int = 10, vocab: int = 100) -> Row:
    """Median (and worst) time of one BeamSearch.step() including the tree update."""
    torch.manual_seed(0)
    design = template("encoder-decoder", cell="gru", hidden_size=128, src_vocab=64, tgt_vocab=vocab, embed_dim=32,
                      max_len=30)
    model = compile_design(design).to(device).eval()
    x, lengths = _dates_batch(4, device)
    times: list[float] = []
    nodes = 0
    for i in range(2 if quick else 4):
        bs = BeamSearch(model, x[i % 4, : int(lengths[i % 4])], int(lengths[i % 4]), beam_width=width)
        first = True
        while not bs.done:
            sync()
            t0 = time.perf_counter()
            bs.step()
            sync()
            if not first or i > 0:  # the very first step of the process warms up
                times.append(time.perf_counter() - t0)
            first = False
        nodes = max(nodes, bs.tree.number_of_nodes())
    med = statistics.median(times) * 1e3
    worst = max(times) * 1e3
    return Row("P5", f"one interactive step() with the tree update, β={width}", f"V={vocab} H=128 T'≤30",
               med, "< 100 ms", worst < 100, unit="ms",
               detail={"median_ms": med, "max_ms": worst, "steps": len(times), "tree_nodes": nodes})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.beam", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--checkpoint", default=None, help="trained weights for the dates model (default: random)")
    parser.add_argument("--threads", default="",
                        help="comma-separated torch thread counts to measure at (default: 1 and torch's own choice)")
    args = parser.parse_args(argv)
    default = torch.get_num_threads()
    counts = [int(t) for t in args.threads.split(",") if t.strip()] or sorted({1, default})
    device = set_device(args.device)
    rows = []
    for n in counts:
        torch.set_num_threads(n)
        for row in p5(device, args.quick, args.checkpoint):
            row.shape += f", threads={n}"
            row.detail["threads"] = n
            rows.append(row)
    torch.set_num_threads(default)
    print(table(rows))
    out = Path(__file__).with_name("results_beam.json" if args.device == "cpu" else f"results_beam-{args.device}.json")
    out.write_text(json.dumps({"machine": machine(), "quick": args.quick, "threads": counts,
                               "rows": [r.__dict__ for r in rows]}, indent=2) + "\n")
    print(f"\nthreads={','.join(map(str, counts))} device={args.device}; written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
