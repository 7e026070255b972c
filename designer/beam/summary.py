"""The explorer's sentences: where the search stands, and how the beam compares with greedy."""
from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any


def status_text(search: Any) -> str:
    """One line under the tree: the step, the beam, what is finished, the tree's size."""
    s = search
    nodes = s.tree.number_of_nodes()
    if s.done:
        steps = f"{s.steps} step{'s' * (s.steps != 1)}"
        return f"Done after {steps}: {len(s.results)} finished · {nodes} nodes in the tree"
    if s.steps == 0:
        return ("Ready: press Step (F10) to expand the beam, or Run to End (Ctrl+F10). "
                "Click any node to continue from it.")
    return (f"Step {s.steps} · token {s.depth} of at most {s.settings.max_len} · {len(s.beam)} in the beam · "
            f"{len(s.results)} finished · {nodes} nodes in the tree")


def greedy_text(greedy: Any, search: Any, show: Callable[[Any], str]) -> str:
    """The greedy output beside the beam; once the search is done, whether the beam beat it."""
    if greedy is None:
        return ""
    text = html.escape(show(greedy.tokens)) or "(empty)"
    line = f"<b>Greedy</b>: <tt>{text}</tt> &nbsp;log p {greedy.logprob:.3f}"
    results = search.results if search is not None else []
    if search is not None and search.done and results:
        best = results[0]
        if best.tokens == greedy.tokens:
            line += "<br>the beam's best is the greedy output"
        elif best.logprob > greedy.logprob + 1e-6:
            line += f"<br>the beam found a more probable output (log p +{best.logprob - greedy.logprob:.3f})"
        else:
            line += "<br>" + html.escape(why_best_differs(search, greedy, show))
    return line


def forced_prefix(search: Any) -> list[int] | None:
    """The tokens decoding was last forced through (what-if), or None when nothing is forced now."""
    deepest = None
    for node, attrs in search.tree.nodes(data=True):
        if attrs.get("forced") and attrs["status"] != "pruned" and (deepest is None or attrs["depth"] > deepest[1]):
            deepest = (node, attrs["depth"])
    return None if deepest is None else search.path(deepest[0])


def why_best_differs(search: Any, greedy: Any, show: Callable[[Any], str]) -> str:
    """Why the beam's best is not greedy's output although greedy's is at least as probable:
    the cause that applies, not a guess — a forced prefix, the length normalisation (only when
    α > 0), or the beam losing greedy's line (beam search keeps only the k best prefixes)."""
    causes = []
    prefix = forced_prefix(search)
    if prefix and list(greedy.tokens[:len(prefix)]) != prefix:
        causes.append(f"decoding was forced through “{show(prefix)}”, which greedy does not start with")
    alpha = float(search.settings.alpha)
    if alpha > 0:
        causes.append(f"it ranks finished outputs by log p / length^{alpha:g}, which favours longer ones")
    if not causes:
        node, depth = search.root, 0
        for token in greedy.tokens:  # how far greedy's line is in the tree, and when it fell out
            child = search.node_of(search.path(node) + [int(token)])
            if child is None:
                break
            node, depth = child, depth + 1
        pruned = search.tree.nodes[node].get("pruned_at")
        when = f" at step {pruned}" if pruned else ""
        causes.append(f"the beam dropped greedy's line{when} (it keeps only the {search.settings.beam_width} best "
                      "prefixes at each step, and greedy's looked worse there)")
    return "the beam's best differs from greedy: " + "; and ".join(causes)
