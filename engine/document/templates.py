"""Ready-made designs for the four application architectures, sized for the bundled tasks.

``template("encoder-decoder", cell="gru")`` returns a new :class:`Design` that checks clean and
compiles; the window's *New from template* and the example files under ``assets/examples/`` are
built from these.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.document.attention import CHOICES as ATTENTION_CHOICES
from engine.document.blocks import CELL_KINDS
from engine.document.cells import decoder_choices
from engine.document.design import Design

_X0, _DX, _Y, _DY = 40.0, 280.0, 120.0, 190.0


def _chain(design: Design, blocks: list[tuple[str, str, dict[str, Any]]], y: float = _Y,
           x0: float = _X0) -> list[str]:
    """Add ``(id, kind, params)`` blocks left to right, each ``out`` feeding the next block's first input."""
    ids = []
    for i, (node_id, kind, params) in enumerate(blocks):
        design.add_node(kind, params, (x0 + i * _DX, y), node_id)
        if ids:
            design.connect(ids[-1], "out", node_id, design.nodes[node_id].spec.inputs[0].name)
        ids.append(node_id)
    return ids


def _decoder_cell(cell: str) -> str:
    """The decoder runs the encoder's cell when it can, a GRU otherwise."""
    return cell if cell in {c.id for c in decoder_choices()} else "gru"


def _cell(cell: str, hidden: int, layers: int, bidirectional: bool, dropout: float) -> dict[str, Any]:
    if cell not in CELL_KINDS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(sorted(CELL_KINDS))}")
    return {"hidden_size": hidden, "num_layers": layers, "bidirectional": bidirectional, "dropout": dropout}


def many_to_one(cell: str = "lstm", hidden_size: int = 64, num_layers: int = 1, bidirectional: bool = False,
                dropout: float = 0.0, features: int = 2, outputs: int = 1, seq_len: int = 100) -> Design:
    """Sequence regression, sized for the adding problem: (value, marker) pairs → the marked sum."""
    d = Design(name=f"{cell}-adding")
    _chain(d, [("input", "sequence_input", {"features": features}),
               (cell, cell, _cell(cell, hidden_size, num_layers, bidirectional, dropout)),
               ("last", "last_step", {}),
               ("head", "regressor", {"outputs": outputs})])
    d.set_metadata("description", "Many-to-one: reads a whole sequence and predicts one number.")
    d.set_metadata("task", {"name": "adding", "seq_len": seq_len})
    d.set_metadata("training", {"optimizer": "adam", "lr": 0.003, "batch_size": 64, "steps": 3000, "clip": 1.0, "seed": 0})
    return d


def many_to_many(cell: str = "lstm", hidden_size: int = 64, num_layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0, vocab_size: int = 11, embed_dim: int = 16) -> Design:
    """Next-symbol prediction at every step, sized for the embedded Reber grammar."""
    d = Design(name=f"{cell}-reber")
    _chain(d, [("input", "token_input", {"vocab_size": vocab_size}),
               ("embed", "embedding", {"embed_dim": embed_dim}),
               (cell, cell, _cell(cell, hidden_size, num_layers, bidirectional, dropout)),
               ("head", "classifier", {"num_classes": vocab_size})])
    d.set_metadata("description", "Many-to-many: one prediction per input step (a tagger or a language model).")
    d.set_metadata("task", {"name": "reber"})
    d.set_metadata("training", {"optimizer": "adam", "lr": 0.01, "batch_size": 32, "steps": 1500, "clip": 1.0, "seed": 0})
    return d


def encoder_decoder(cell: str = "gru", hidden_size: int = 128, num_layers: int = 1, bidirectional: bool = True,
                    dropout: float = 0.0, src_vocab: int = 62, tgt_vocab: int = 15, embed_dim: int = 32,
                    max_len: int = 12, attention: str = "none") -> Design:
    """Sequence to sequence, sized for date translation ("21 Nov 2026" → "2026-11-21").

    ``attention`` ("additive", "dot" or "general") wires the encoder's steps to the decoder's memory
    port and lets it attend over them; "dot" needs the encoder's output as wide as the decoder, so a
    bidirectional encoder gets half the decoder's hidden size per direction."""
    if attention not in ATTENTION_CHOICES:
        raise ValueError(f"unknown attention {attention!r}; choose one of {', '.join(ATTENTION_CHOICES)}")
    if attention == "dot" and bidirectional and hidden_size % 2:
        raise ValueError(f"dot attention with a bidirectional encoder needs an even hidden_size, got {hidden_size}")
    enc_hidden = hidden_size // 2 if attention == "dot" and bidirectional else hidden_size
    d = Design(name=f"{cell}-dates" + ("" if attention == "none" else f"-{attention}"))
    enc = _chain(d, [("source", "token_input", {"vocab_size": src_vocab}),
                     ("src_embed", "embedding", {"embed_dim": embed_dim}),
                     ("encoder", cell, _cell(cell, enc_hidden, num_layers, bidirectional, dropout))])
    dec_cell = _decoder_cell(cell)
    bridge_y = _Y + _DY + (0.0 if attention == "none" else _DY * 0.6)  # below the memory wire when it attends
    d.add_node("bridge", {"hidden_size": hidden_size, "mode": "project"}, (_X0 + 3 * _DX, bridge_y), "bridge")
    d.connect(enc[-1], "state", "bridge", "in")
    _chain(d, [("decoder", "decoder", {"cell": dec_cell, "vocab_size": tgt_vocab, "embed_dim": embed_dim,
                                       "hidden_size": hidden_size, "num_layers": num_layers, "max_len": max_len,
                                       "attention": attention}),
               ("head", "classifier", {"num_classes": tgt_vocab})], y=_Y + _DY, x0=_X0 + 4 * _DX)
    d.connect("bridge", "out", "decoder", "init")
    if attention == "none":
        d.set_metadata("description", "Encoder-decoder: the encoder's final state seeds a decoder that writes the output token by token.")
    else:
        d.connect(enc[-1], "out", "decoder", "memory")
        d.set_metadata("description", f"Encoder-decoder with {attention} attention: at every output token the "
                       "decoder weighs the encoder's steps and reads their weighted sum.")
    d.set_metadata("task", {"name": "dates"})
    d.set_metadata("training", {"optimizer": "adam", "lr": 0.003, "lr_schedule": "cosine", "batch_size": 64,
                                "steps": 3000, "clip": 1.0, "seed": 0})
    return d


def one_to_many(cell: str = "gru", hidden_size: int = 64, num_layers: int = 1, num_classes: int = 100,
                tgt_vocab: int = 25, embed_dim: int = 32, max_len: int = 40) -> Design:
    """Generation from one class id, sized for spelling numbers ("7" → "seven")."""
    dec_cell = _decoder_cell(cell)
    d = Design(name=f"{dec_cell}-spell")
    _chain(d, [("number", "class_input", {"num_classes": num_classes}),
               ("number_embed", "embedding", {"embed_dim": embed_dim}),
               ("bridge", "bridge", {"hidden_size": hidden_size, "mode": "project"}),
               ("decoder", "decoder", {"cell": dec_cell, "vocab_size": tgt_vocab, "embed_dim": embed_dim,
                                       "hidden_size": hidden_size, "num_layers": num_layers, "max_len": max_len}),
               ("head", "classifier", {"num_classes": tgt_vocab})])
    d.set_metadata("description", "One-to-many: one input seeds the decoder's state, which then writes a sequence.")
    d.set_metadata("task", {"name": "spell_numbers"})
    d.set_metadata("training", {"optimizer": "adam", "lr": 0.003, "batch_size": 64, "steps": 3000, "clip": 1.0, "seed": 0})
    return d


TEMPLATES: dict[str, Callable[..., Design]] = {
    "one-to-many": one_to_many,
    "many-to-one": many_to_one,
    "many-to-many": many_to_many,
    "encoder-decoder": encoder_decoder,
}


def template(architecture: str, **options: Any) -> Design:
    """A new design of ``architecture`` (one of :data:`TEMPLATES`); options set the cell and sizes."""
    try:
        build = TEMPLATES[architecture]
    except KeyError:
        raise ValueError(f"unknown architecture {architecture!r}; choose one of {', '.join(TEMPLATES)}") from None
    return build(**options)
