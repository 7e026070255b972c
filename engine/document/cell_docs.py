"""``docs/cells.md``, written from the cell registry (``engine.document.cells``); a test keeps the
file equal to :func:`cells_markdown`. Regenerate with ``python -m engine.document.cell_docs > docs/cells.md``.
"""
from __future__ import annotations

from engine.document import attention
from engine.document.cells import cells, decoder_choices


def cells_markdown() -> str:
    """``docs/cells.md``: the registered cells' equations and notes (a test keeps the file equal)."""
    lines = ["# The cells and their equations", "",
             "<!-- Generated from the cell registry: python -m engine.document.cell_docs > docs/cells.md -->", "",
             "Notation follows PyTorch's documentation: `x` is the input at step t, `h` the previous hidden",
             "state, `σ` the logistic sigmoid, `⊙` the element-wise product. Every cell is batch-first,",
             "may be stacked (`num_layers`, a *deep RNN*: each layer reads the sequence the layer below emits,",
             "with `dropout` between layers) and bidirectional (a second RNN reads the sequence backwards;",
             "the outputs of both directions are concatenated at every step, doubling the width).", ""]
    for spec in cells():
        lines.append(f"## {spec.title} (`{spec.kind}`, {spec.implementation or 'a registered cell'})")
        lines += [f"    {line}" for line in spec.equations] + [""]
        gates = ", ".join(f"{g.words} `{g.name}`" for g in spec.gates) or "none"
        lines += [f"Gates the probes record: {gates}; states: {', '.join(f'`{r.name}`' for r in spec.states)}.", ""]
        if spec.notes:
            lines += [spec.notes, ""]
    runs = ", ".join(f"{c.title} (`{c.id}`)" for c in decoder_choices())
    lines += ["## Decoder (`decoder`)",
              f"An embedding of the previous target token followed by a unidirectional cell: {runs}.",
              "Its initial state comes from its `init` port (every layer starts from it; an LSTM's cell state",
              "starts at zero). While training it reads `<bos>` + the target shifted right (teacher forcing);",
              "when generating, its own previous prediction.", "",
              *attention_markdown(),
              "## Bridge (`bridge`)",
              "Turns an encoder's final state — the `state` port of a cell: the top layer's last hidden state,",
              "both directions concatenated for a bidirectional encoder — or a seed vector into the decoder's",
              "initial state: `h_0 = tanh(W s + b)` (`project`) or `h_0 = s` (`copy`, sizes must match).", "",
              "## Adding a cell",
              "Describe it once with `engine.document.cells.register(CellSpec(...))`: its parameters, gates and",
              "their roles, equations, a `build` hook (the `nn.Module`) and a `step` hook (one step recomputed",
              "from the weights, for the probes). The palette, the inspector, the compiler, the probes, the",
              "decoder's choices and the gate plot then know it. A package offers cells to every process (the",
              "window and the runs it starts) through the `rnn_designer.cells` entry-point group: each entry",
              "point is a `CellSpec`, or a function that registers cells."]
    return "\n".join(lines) + "\n"


def attention_markdown() -> list[str]:
    """The decoder's attention: the scores beside the equations every score shares."""
    titles = dict(zip(attention.CHOICES, attention.TITLES))
    lines = ["## Attention (the decoder's `attention` parameter)",
             "With `attention` set to one of the scores below and the encoder's `out` (h_t at every source",
             "step, `m_s`) wired to the decoder's `memory` port, the decoder's cell runs as above and then, at",
             "every target step t, its top layer's state `h_t` scores every source step; a softmax over the",
             "source's valid steps turns the scores into weights `a_ts` (padding gets exactly zero), the",
             "context `c_t` is their weighted sum, and the decoder emits the attentional state `h̃_t` in place",
             "of `h_t` (Luong et al., 2015, global attention; the additive score is Bahdanau et al.'s, 2015).",
             "Teacher forcing attends over all target steps at once; a decoding step (beam search) attends",
             "with the same weights, the memory and its mask travelling with each hypothesis.", ""]
    for score in attention.SCORES:
        lines.append(f"{titles[score]} (`{score}`):")
        lines += ["", f"    {attention.EQUATIONS[score]}", ""]
    lines.append("Every score, then:")
    lines += [""] + [f"    {line}" for line in attention.SHARED_EQUATIONS] + [""]
    lines += ["`dot` needs the memory as wide as the decoder (a bidirectional encoder: half the decoder's",
              "hidden size per direction); `general` and `additive` take any width. The probes record the",
              "weights as `attention` (target step × source step) beside the decoder's top layer; the training",
              "panel shows them and their mean entropy over training, the beam explorer each step's row.", ""]
    return lines


if __name__ == "__main__":
    print(cells_markdown(), end="")
