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
            line += "<br>the beam's best differs from greedy (it ranks by length-normalised score)"
    return line
