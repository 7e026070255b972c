"""Compiles a checked design into a ``torch.nn.Module`` that trains, evaluates and decodes.

Nodes run in topological order; each is a block module (``engine.model.modules``). LSTM, GRU and Elman
blocks are fused ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``: no Python loop over time steps except in
the decoder's generation loop. Decoders (one-to-many, encoder-decoder, and a causal token model
used as a language model) also offer the step interface beam search drives (docs/internals.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.document.design import Design
from engine.errors import CompileError
from engine.model.check import check_design
from engine.model.graph import CheckReport, build_graph
from engine.model.modules import DecoderBlock, RecurrentBlock, RunContext, State, build_block, memory_key
from engine.vocab import BOS, EOS, PAD

DecodeState = dict[str, State]


@dataclass
class RunResult:
    """What every node received and produced in one run (the probes read cell inputs from it)."""

    inputs: dict[str, dict[str, Tensor]]
    outputs: dict[str, dict[str, Tensor]]
    states: dict[str, State]


_MODULE_NAMES = frozenset(dir(nn.ModuleDict()))


def block_key(node_id: str) -> str:
    """The key of a node's module in ``CompiledModel.blocks``: its id, unless the id names an
    attribute of ``nn.ModuleDict`` (``values``, ``training``, ``cuda``...), which a module cannot be
    filed under; such an id is prefixed with ``node:`` (no id holds a colon)."""
    return f"node:{node_id}" if node_id in _MODULE_NAMES else node_id


class CompiledModel(nn.Module):
    """A design as a module: ``model(x, lengths, target_in)`` gives logits or predictions."""

    def __init__(self, design: Design, report: CheckReport) -> None:
        super().__init__()
        self.report = report
        self.design_name = design.name
        self.design_hash = design.structure_hash()
        self.architecture: str = report.architecture or ""
        self.order = list(report.order)
        self.edges = [(e.source, e.source_port, e.target, e.target_port) for e in design.edges]
        self.kinds = {n.id: n.kind for n in design.nodes.values()}
        self.blocks = nn.ModuleDict()
        for node_id in self.order:
            node = design.nodes[node_id]
            self.blocks[block_key(node_id)] = build_block(node_id, node.kind, node.params,
                                                          report.input_shapes.get(node_id, {}))
        self.input_node, self.head_node = report.input_node or "", report.head_node or ""
        self.input_kind = self.kinds[self.input_node]
        self.head_kind = self.kinds[self.head_node]
        self.decoder_node = report.decoder_node
        g = build_graph(design)
        self._memory_edge = None  # the wire into the decoder's memory port, when it attends
        if self.decoder_node is not None:
            tail = nx.descendants(g, self.decoder_node) | {self.decoder_node}
            self._decode_nodes = [n for n in self.order if n in tail]
            self._init_edge = design.incoming(self.decoder_node, "init")[0]
            attends = self.block(self.decoder_node).attention is not None  # type: ignore[union-attr]
            self._memory_edge = design.incoming(self.decoder_node, "memory")[0] if attends else None
            dec = design.nodes[self.decoder_node].params
            self.vocab_size, self.max_len = dec["vocab_size"], dec["max_len"]
        else:
            self._decode_nodes = list(self.order)
            self.vocab_size = (design.nodes[self.head_node].params.get("num_classes", 0)
                               if self.head_kind == "classifier" else 0)
            self.max_len = 64
        self.bos_id, self.eos_id, self.pad_id = BOS, EOS, PAD
        self.last_attention: Tensor | None = None  # (N, T) the weights of the latest decode_step, if it attends
        self.can_decode = self._decodable(design)

    def _decodable(self, design: Design) -> bool:
        if self.decoder_node is not None:
            return True
        if self.architecture != "many-to-many" or self.input_kind != "token_input" or self.head_kind != "classifier":
            return False
        vocab = design.nodes[self.input_node].params["vocab_size"]
        causal = all(not design.nodes[n].params.get("bidirectional", False) for n in self.order)
        return causal and vocab == self.vocab_size

    # ------------------------------------------------------------------ running the graph
    def run_nodes(self, x: Tensor, lengths: Tensor | None = None, target_in: Tensor | None = None,
                  nodes: list[str] | None = None, states: DecodeState | None = None,
                  given: dict[str, dict[str, Tensor]] | None = None) -> RunResult:
        """Run ``nodes`` (default: all) in order; ``given`` supplies outputs of nodes not run."""
        ctx = RunContext(x=x, lengths=lengths, target_in=target_in, states_in=dict(states or {}))
        outputs: dict[str, dict[str, Tensor]] = dict(given or {})
        inputs: dict[str, dict[str, Tensor]] = {}
        for node_id in nodes if nodes is not None else self.order:
            ins = {tp: outputs[s][sp] for s, sp, t, tp in self.edges if t == node_id and s in outputs}
            inputs[node_id] = ins
            outputs[node_id] = self.blocks[block_key(node_id)](ins, ctx)
        return RunResult(inputs, outputs, ctx.states_out)

    def forward(self, x: Tensor, lengths: Tensor | None = None, target_in: Tensor | None = None) -> Tensor:
        """Logits (B, C) / (B, T, C) for a classifier head; predictions (B, O) / (B, T, O) for regression."""
        if self.decoder_node is not None and target_in is None:
            raise ValueError("an encoder-decoder or one-to-many model needs target_in (teacher forcing); "
                             "use generate() to decode without targets")
        return self.run_nodes(x, lengths, target_in).outputs[self.head_node]["out"]

    def loss(self, output: Tensor, y: Tensor, y_mask: Tensor | None = None) -> Tensor:
        """Cross-entropy (classifier) or mean squared error (regression), over the counted positions."""
        if self.head_kind == "classifier":
            if y_mask is None and self.decoder_node is not None:
                y_mask = y != PAD
            target = y if y_mask is None else y.masked_fill(~y_mask, -100)
            return F.cross_entropy(output.reshape(-1, output.shape[-1]), target.reshape(-1), ignore_index=-100)
        if y.shape != output.shape and y.dim() == output.dim() - 1:
            y = y.unsqueeze(-1)
        err = (output - y.to(output.dtype)) ** 2
        if y_mask is None:
            return err.mean()
        m = y_mask.unsqueeze(-1).to(err.dtype).expand_as(err)
        return (err * m).sum() / m.sum().clamp(min=1.0)

    # ------------------------------------------------------------------ decoding
    def decode_init(self, x: Tensor, lengths: Tensor | None = None) -> tuple[DecodeState, Tensor]:
        """Run the encoder (or the prompt) once: the decoder state and the first input token per example."""
        if not self.can_decode:
            raise ValueError(f"a {self.architecture} design with a {self.head_kind} head cannot generate sequences")
        B = x.shape[0]
        if self.decoder_node is not None:
            enc_nodes = [n for n in self.order if n not in self._decode_nodes]
            res = self.run_nodes(x, lengths, nodes=enc_nodes)
            e = self._init_edge
            dec: DecoderBlock = self.block(self.decoder_node)  # type: ignore[assignment]
            state = {self.decoder_node: dec.initial_state(res.outputs[e.source][e.source_port])}
            if self._memory_edge is not None:
                m = self._memory_edge
                state[memory_key(self.decoder_node)] = dec.memory_state(res.outputs[m.source][m.source_port], lengths)
            return state, torch.full((B,), self.bos_id, dtype=torch.long, device=x.device)
        # a language model: read all but the last prompt token; the last one is the first input
        if lengths is None:
            lengths = torch.full((B,), x.shape[1], dtype=torch.long, device=x.device)
        if bool((lengths < 1).any()):
            raise ValueError("every prompt needs at least one token")
        last = x.gather(1, (lengths - 1).view(-1, 1)).squeeze(1)  # (B,)
        if x.shape[1] == 1 or bool((lengths == 1).all()):
            return self._zero_states(B, x.device), last
        res = self.run_nodes(x[:, :-1], (lengths - 1).clamp(min=1))
        keep = (lengths > 1).to(x.dtype if x.is_floating_point() else torch.float32)
        states = {k: tuple(t * keep.view(1, -1, 1).to(t.dtype) for t in v) for k, v in res.states.items()}
        return states, last

    def _zero_states(self, B: int, device: torch.device) -> DecodeState:
        probe = torch.full((B, 1), self.bos_id, dtype=torch.long, device=device)
        res = self.run_nodes(probe)
        return {k: tuple(torch.zeros_like(t) for t in v) for k, v in res.states.items()}

    def decode_step(self, tokens: Tensor, state: DecodeState) -> tuple[Tensor, DecodeState]:
        """One step for N hypotheses: tokens (N,) → log-probabilities (N, V) and the next state."""
        tokens = tokens.view(-1, 1)  # (N, 1)
        if self.decoder_node is not None:
            res = self.run_nodes(tokens, target_in=tokens, nodes=self._decode_nodes, states=state,
                                 given={})
        else:
            res = self.run_nodes(tokens, states=state)
        logits = res.outputs[self.head_node]["out"][:, -1]  # (N, V)
        weights = res.outputs[self.decoder_node].get("attention") if self.decoder_node is not None else None
        self.last_attention = weights[:, -1] if weights is not None else None  # (N, T)
        return F.log_softmax(logits.float(), dim=-1), res.states

    @staticmethod
    def reorder_state(state: DecodeState, index: Tensor) -> DecodeState:
        """Select (and duplicate) hypotheses: ``index_select`` on the batch dim (1) of every tensor."""
        return {k: tuple(t.index_select(1, index) for t in v) for k, v in state.items()}

    @torch.no_grad()
    def generate(self, x: Tensor, lengths: Tensor | None = None, max_len: int | None = None) -> Tensor:
        """Greedy decoding: (B, T') token ids after <bos>, up to and including <eos>, then 0-padded."""
        max_len = max_len or self.max_len
        state, tok = self.decode_init(x, lengths)
        B = tok.shape[0]
        out = torch.zeros(B, max_len, dtype=torch.long, device=tok.device)
        done = torch.zeros(B, dtype=torch.bool, device=tok.device)
        for t in range(max_len):
            logp, state = self.decode_step(tok, state)
            logp[:, [self.pad_id, self.bos_id]] = float("-inf")  # never generated, as in beam search
            tok = logp.argmax(-1)  # (B,)
            out[:, t] = tok.masked_fill(done, PAD)
            done |= tok == self.eos_id
            if bool(done.all()):
                return out[:, : t + 1]
        return out

    @property
    def attends(self) -> bool:
        """True when the decoder attends over the encoder's steps (``last_attention`` is then set)."""
        return self._memory_edge is not None

    def recurrent_blocks(self) -> dict[str, RecurrentBlock | DecoderBlock]:
        """Node id → block for every cell and decoder, in graph order."""
        blocks = {n: self.block(n) for n in self.order}
        return {n: b for n, b in blocks.items() if isinstance(b, (RecurrentBlock, DecoderBlock))}

    def block(self, node_id: str) -> nn.Module:
        """The module of node ``node_id`` (whatever key it is filed under in ``blocks``)."""
        return self.blocks[block_key(node_id)]

    def extra_repr(self) -> str:
        return f"design={self.design_name!r}, architecture={self.architecture!r}"


def compile_design(design: Design, report: CheckReport | None = None) -> CompiledModel:
    """Check ``design`` and build its module; a design with errors raises :class:`CompileError`."""
    report = report or check_design(design)
    if not report.compiles:  # a misfit with the metadata's task does not stop a model being built
        lines = "\n".join(f"  - {p.message}" for p in report.errors if p.section == "design")
        n = sum(p.section == "design" for p in report.errors)
        raise CompileError(f'design "{design.name}" has {n} problem(s); fix them first:\n{lines}')
    return CompiledModel(design, report)
