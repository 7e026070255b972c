"""One ``nn.Module`` per block kind, built from a node's params and its inferred input shapes.

Every block module has ``forward(inputs, ctx) -> outputs``: ``inputs`` and ``outputs`` map port
names to tensors, and ``ctx`` (:class:`RunContext`) carries what flows beside the graph — the
sequence lengths, the decoder's teacher-forcing tokens and the recurrent states for step-by-step
decoding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from engine.document.blocks import Shape
from engine.document.cells import CellSpec, cell, decoder_cell, is_cell, resolve
from engine.model.attention import Attention, source_mask
from engine.model.cells import step_mask

State = tuple[Tensor, ...]  # every tensor (layers·dirs, N, size)


@dataclass
class RunContext:
    x: Tensor
    lengths: Tensor | None = None  # (B,) valid source steps
    target_in: Tensor | None = None  # (B, T') decoder input tokens
    states_in: dict[str, State] = field(default_factory=dict)
    states_out: dict[str, State] = field(default_factory=dict)


class Block(nn.Module):
    def __init__(self, node_id: str) -> None:
        super().__init__()
        self.node_id = node_id

    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:  # pragma: no cover
        raise NotImplementedError


class InputBlock(Block):
    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        return {"out": ctx.x}


class EmbeddingBlock(Block):
    def __init__(self, node_id: str, p: dict[str, Any], s: dict[str, Shape]) -> None:
        super().__init__(node_id)
        pad = 0 if s["in"].kind == "tokens" else None  # a class id 0 is a real class
        self.embed = nn.Embedding(s["in"].features, p["embed_dim"], padding_idx=pad)

    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        return {"out": self.embed(inputs["in"])}  # (B, T) → (B, T, E) or (B,) → (B, E)


_ACT = {"none": nn.Identity, "tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


class DenseBlock(Block):
    def __init__(self, node_id: str, p: dict[str, Any], s: dict[str, Shape]) -> None:
        super().__init__(node_id)
        self.linear = nn.Linear(s["in"].features, p["units"])
        self.act = _ACT[p["activation"]]()

    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        return {"out": self.act(self.linear(inputs["in"]))}


class DropoutBlock(Block):
    def __init__(self, node_id: str, p: dict[str, Any], s: dict[str, Shape]) -> None:
        super().__init__(node_id)
        self.drop = nn.Dropout(p["p"])

    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        return {"out": self.drop(inputs["in"])}


def make_rnn(kind: str, input_size: int, p: dict[str, Any], bidirectional: bool) -> nn.Module:
    """The module of cell ``kind`` (built by the registry's ``build`` hook: fused PyTorch or our own)."""
    common = dict(num_layers=p["num_layers"], dropout=p["dropout"] if p["num_layers"] > 1 else 0.0,
                  bidirectional=bidirectional, batch_first=True)
    return resolve(cell(kind).build)(input_size, p, **common)


def run_rnn(spec: CellSpec, rnn: nn.Module, x: Tensor, state: State | None,
            lengths: Tensor | None) -> tuple[Tensor, State]:
    """Run a cell's module on (B, T, F) with optional padding; returns (B, T, H·D) and the final state.

    A fused PyTorch kernel reads a packed sequence; our own modules take ``lengths`` themselves."""
    hx: Any = None
    if state is not None:
        hx = state if len(spec.carried) > 1 else state[0]
    if not spec.fused_kernel:
        out, h = rnn(x, hx, lengths)
        return out, (h if isinstance(h, tuple) else (h,))
    if lengths is not None and bool((lengths < x.shape[1]).any()):
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, h = rnn(packed, hx)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])  # (B, T, H·D)
    else:
        out, h = rnn(x, hx)
    return out, (h if isinstance(h, tuple) else (h,))


class RecurrentBlock(Block):
    """A cell block: any registered cell (Elman, Jordan, GRU, minimal GRU, LSTM...), stacked and optionally
    bidirectional."""

    def __init__(self, node_id: str, kind: str, p: dict[str, Any], s: dict[str, Shape]) -> None:
        super().__init__(node_id)
        self.kind = kind
        self.cell = cell(kind)
        self.rnn = make_rnn(kind, s["in"].features, p, p["bidirectional"])
        self.num_directions = 2 if p["bidirectional"] else 1

    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        x = inputs["in"]  # (B, T, F)
        lengths = ctx.lengths if ctx.lengths is not None and ctx.lengths.shape[0] == x.shape[0] else None
        out, state = run_rnn(self.cell, self.rnn, x, ctx.states_in.get(self.node_id), lengths)
        ctx.states_out[self.node_id] = state
        h = state[0]  # (L·D, B, S)
        top = h[-self.num_directions:]  # (D, B, S): the top layer's directions
        return {"out": out, "state": top.permute(1, 0, 2).reshape(h.shape[1], -1)}  # (B, S·D)


class LastStepBlock(Block):
    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        x = inputs["in"]  # (B, T, F)
        if ctx.lengths is None:
            return {"out": x[:, -1]}
        idx = (ctx.lengths.to(x.device) - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, x.shape[2])
        return {"out": x.gather(1, idx).squeeze(1)}  # (B, F)


class MeanStepsBlock(Block):
    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        x = inputs["in"]  # (B, T, F)
        mask = step_mask(ctx.lengths, x.shape[1], x.device)
        if mask is None:
            return {"out": x.mean(1)}
        m = mask.unsqueeze(2).to(x.dtype)  # (B, T, 1)
        return {"out": (x * m).sum(1) / m.sum(1).clamp(min=1.0)}


class IdentityBlock(Block):
    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        return {"out": inputs["in"]}


class BridgeBlock(Block):
    def __init__(self, node_id: str, p: dict[str, Any], s: dict[str, Shape]) -> None:
        super().__init__(node_id)
        self.proj = nn.Linear(s["in"].features, p["hidden_size"]) if p["mode"] == "project" else None

    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        x = inputs["in"]
        return {"out": torch.tanh(self.proj(x)) if self.proj is not None else x}  # (B, H)


def memory_key(node_id: str) -> str:
    """The key a decoder's memory and its mask travel under in a decoding state (no id holds a colon)."""
    return f"{node_id}:memory"


class DecoderBlock(Block):
    """Embeds the previous target token and runs a unidirectional cell from an initial state; with
    ``attention`` its top-layer states attend over the ``memory`` (engine.model.attention)."""

    def __init__(self, node_id: str, p: dict[str, Any], s: dict[str, Shape]) -> None:
        super().__init__(node_id)
        self.cell, cell_params = decoder_cell(p)
        self.kind, self.choice, self.num_layers = self.cell.kind, p["cell"], p["num_layers"]
        self.vocab_size, self.max_len = p["vocab_size"], p["max_len"]
        self.embed = nn.Embedding(p["vocab_size"], p["embed_dim"], padding_idx=0)
        self.rnn = make_rnn(self.kind, p["embed_dim"], cell_params, bidirectional=False)
        score = p.get("attention", "none")
        self.attention = (Attention(score, p["hidden_size"], s["memory"].features)
                          if score != "none" and "memory" in s else None)

    def initial_state(self, init: Tensor) -> State:
        """Every layer starts from ``init``; the cell's other carried tensors (an LSTM's c) at zero."""
        h0 = init.unsqueeze(0).expand(self.num_layers, -1, -1).contiguous()  # (L, B, H)
        return (h0,) + tuple(torch.zeros_like(h0) for _ in self.cell.carried[1:])

    def memory_state(self, memory: Tensor, lengths: Tensor | None) -> State:
        """The memory (T, N, M) and its mask (T, N) as decoding-state tensors (batch on dim 1, so
        ``reorder_state`` moves them with the hypotheses)."""
        return memory.transpose(0, 1), source_mask(lengths, memory).transpose(0, 1)

    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        if ctx.target_in is None:
            raise ValueError(f'decoder "{self.node_id}" needs target tokens (teacher forcing) or a decoding loop')
        state = ctx.states_in.get(self.node_id)
        if state is None:
            state = self.initial_state(inputs["init"])
        out, state = run_rnn(self.cell, self.rnn, self.embed(ctx.target_in), state, None)  # (B, T', H)
        ctx.states_out[self.node_id] = state
        return self.attend(out, inputs, ctx)

    def attend(self, out: Tensor, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        """The decoder's outputs from its top layer's states ``out`` (B, T', H): those states, or
        with attention the attentional states and the weights ``attention`` (B, T', T)."""
        if self.attention is None:
            return {"out": out}
        if "memory" in inputs:  # teacher forcing: the encoder ran in this pass
            memory = inputs["memory"]  # (B, T, M)
            mask = source_mask(ctx.lengths, memory)  # (B, T)
        else:  # a decoding step: the memory travels in the state
            kept = ctx.states_in.get(memory_key(self.node_id))
            if kept is None:
                raise ValueError(f'decoder "{self.node_id}" attends but was given no memory; '
                                 "start decoding with decode_init")
            ctx.states_out[memory_key(self.node_id)] = kept
            memory, mask = kept[0].transpose(0, 1), kept[1].transpose(0, 1)  # (N, T, M), (N, T)
        attended, weights = self.attention(out, memory, mask)
        return {"out": attended, "attention": weights}


class HeadBlock(Block):
    def __init__(self, node_id: str, p: dict[str, Any], s: dict[str, Shape], out_param: str) -> None:
        super().__init__(node_id)
        self.linear = nn.Linear(s["in"].features, p[out_param])

    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        return {"out": self.linear(inputs["in"])}


def build_block(node_id: str, kind: str, p: dict[str, Any], s: dict[str, Shape]) -> Block:
    """The module of one node; ``s`` holds its inferred input shapes."""
    if kind in ("token_input", "sequence_input", "vector_input", "class_input"):
        return InputBlock(node_id)
    if kind == "embedding":
        return EmbeddingBlock(node_id, p, s)
    if kind == "dense":
        return DenseBlock(node_id, p, s)
    if kind == "dropout":
        return DropoutBlock(node_id, p, s)
    if is_cell(kind):
        return RecurrentBlock(node_id, kind, p, s)
    if kind == "last_step":
        return LastStepBlock(node_id)
    if kind == "mean_steps":
        return MeanStepsBlock(node_id)
    if kind == "every_step":
        return IdentityBlock(node_id)
    if kind == "bridge":
        return BridgeBlock(node_id, p, s)
    if kind == "decoder":
        return DecoderBlock(node_id, p, s)
    if kind == "classifier":
        return HeadBlock(node_id, p, s, "num_classes")
    if kind == "regressor":
        return HeadBlock(node_id, p, s, "outputs")
    raise ValueError(f"no module for block kind {kind!r}")
