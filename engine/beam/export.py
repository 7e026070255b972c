"""The search tree as JSON (the engine's exchange format) and as Graphviz DOT."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.files import atomic_write

if TYPE_CHECKING:
    from engine.beam.search import BeamSearch

FORMAT = "rnn-designer-beam-tree"
VERSION = 1
NODE_FIELDS = ("token", "text", "logprob", "score", "norm_score", "depth", "parent", "status", "pruned_at",
               "step", "kept", "rank", "finished_by", "forced")


def _num(x: Any) -> Any:
    """JSON has no infinities: -inf becomes None."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def tree_to_dict(search: BeamSearch) -> dict[str, Any]:
    s = search.settings
    src = search.source
    nodes = []
    for n, attrs in sorted(search.tree.nodes(data=True)):
        d = {"id": n}
        d.update({k: _num(attrs.get(k)) for k in NODE_FIELDS})
        nodes.append(d)
    return {
        "format": FORMAT,
        "version": VERSION,
        "settings": {"beam_width": s.beam_width, "max_len": s.max_len, "alpha": s.alpha, "n_best": s.n_best,
                     "min_len": s.min_len, "keep_pruned": search.keep_pruned, "banned": list(s.banned),
                     "eos": s.eos},
        "source": src.tolist() if hasattr(src, "tolist") else src,
        "root": search.root,
        "steps": search.steps,
        "done": search.done,
        "beam": search.beam,
        "results": [h.to_dict(search.vocab) for h in search.results],
        "nodes": nodes,
    }


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_STYLE = {
    "alive": 'style="filled,bold", fillcolor="#dbeafe", color="#1d4ed8"',
    "finished": 'style="filled,bold", fillcolor="#dcfce7", color="#15803d", peripheries=2',
    "pruned": 'style="dashed", color="#9ca3af", fontcolor="#6b7280"',
}


def tree_to_dot(search: BeamSearch) -> str:
    """A left-to-right Graphviz digraph: token and probability on each node, styled by status."""
    lines = ["digraph beam {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica", fontsize=10];',
             '  edge [color="#6b7280"];']
    for n, a in sorted(search.tree.nodes(data=True)):
        lines_ = [a["text"]]
        if a["parent"] is not None:
            lines_ += [f"p={math.exp(a['logprob']):.3f}", f"Σ={a['score']:.3f}"]
            if a["status"] == "pruned" and a["pruned_at"] is not None:
                lines_.append(f"pruned @{a['pruned_at']}")
        label_q = _quote("\n".join(lines_))
        tip = _quote(f"log p = {a['logprob']:.4f}, cumulative {a['score']:.4f}")
        lines.append(f"  n{n} [label={label_q}, tooltip={tip}, {_STYLE[a['status']]}];")
    for u, v in sorted(search.tree.edges()):
        style = ' [style="dashed"]' if search.tree.nodes[v]["status"] == "pruned" else ""
        lines.append(f"  n{u} -> n{v}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def save_tree(search: BeamSearch, path: str | os.PathLike[str]) -> None:
    """JSON for ``.json``, DOT for ``.dot`` / ``.gv``; anything else is refused."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(tree_to_dict(search), indent=1, ensure_ascii=False) + "\n"
    elif suffix in (".dot", ".gv"):
        text = tree_to_dot(search)
    else:
        raise ValueError(f"{path}: a tree is written as .json or .dot, not {suffix or 'a file without extension'}")
    atomic_write(path, text)  # the one writer: an old tree stays whole if this write fails
