"""The modules ``torch.onnx.export`` traces: a compiled model rewritten so its graph keeps a dynamic
batch and time axis.

The compiled model runs its cells on packed sequences (fused kernels) or in a Python loop over
the steps; neither survives tracing with a time axis of unknown length. Here every cell block
becomes a :class:`ScanCell`: the recursion of each layer and direction is a ``scan`` over the time
steps (an ONNX ``Scan``), one step being the cell's own ``step`` hook from the registry — the
function the probes use to recompute gates — on the block's own weights. Padding is masked the
way the packed kernels treat it: past a row's length the state is held and the output is 0, and a
reverse direction starts at each row's last valid step. Every other block is the compiled one.

- :class:`ForwardGraph`: classifiers, regressors and taggers — ``(x, lengths) → output``.
- :class:`EncoderGraph`: a decoder's source side — ``(x, lengths) → the decoder's initial state``.
- :class:`DecoderStepGraph`: one decoder step — ``(tokens, *state) → (log_probs, *next state)``.
"""
from __future__ import annotations

import copy
import keyword
from types import SimpleNamespace
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch._higher_order_ops.scan import scan

from engine.document.cells import CellSpec, resolve
from engine.model.attention import source_mask
from engine.model.cells import layer_weights, reverse_padded
from engine.model.compiler import CompiledModel
from engine.model.modules import Block, RecurrentBlock, RunContext, memory_key


class ScanCell(Block):
    """A cell block (stacked, maybe bidirectional) as one ``scan`` per layer and direction."""

    def __init__(self, block: RecurrentBlock, width: int) -> None:
        super().__init__(block.node_id)
        self.rnn = block.rnn  # the weights, by the compiled names (weight_ih_l0, ...)
        self.spec: CellSpec = block.cell
        self.step = resolve(block.cell.step)
        # the step hooks read plain settings of the module (an Elman cell's nonlinearity); a traced
        # scan body must not hold the module itself
        self.settings = SimpleNamespace(**{k: v for k, v in vars(block.rnn).items()
                                           if isinstance(v, (str, int, float, bool)) and not k.startswith("_")})
        self.num_layers = int(getattr(block.rnn, "num_layers", 1))
        self.num_directions = block.num_directions
        self.width = width  # one direction's output and carried width

    def forward(self, inputs: dict[str, Tensor], ctx: RunContext) -> dict[str, Tensor]:
        x = inputs["in"]  # (B, T, F)
        B, T = x.shape[0], x.shape[1]
        lengths = ctx.lengths if ctx.lengths is not None else torch.full((B,), T, dtype=torch.long)
        valid = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).to(x.dtype)  # (B, T)
        valid_steps = valid.transpose(0, 1).unsqueeze(2)  # (T, B, 1)
        carried = len(self.spec.carried)
        finals: list[tuple[Tensor, ...]] = []
        layer_in = x
        for layer in range(self.num_layers):
            weights, projected = [], []
            for d, suffix in enumerate(["", "_reverse"][: self.num_directions]):
                w = layer_weights(self.rnn, layer, suffix)
                xp = F.linear(layer_in, w["weight_ih"], w.get("bias_ih"))  # (B, T, G·H)
                if d == 1:
                    xp = reverse_padded(xp, lengths)  # each row read from its last valid step back
                weights.append(w)
                projected.append(xp.transpose(0, 1))  # (T, B, G·H)
            init = tuple(x.new_zeros(B, self.width) for _ in range(carried * self.num_directions))  # each (B, S)
            final, ys = scan(self._body(weights), init, (*projected, valid_steps))  # ys: (T, B, S) per direction
            outs = [ys[d].transpose(0, 1) for d in range(self.num_directions)]  # (B, T, S)
            if self.num_directions == 2:
                outs[1] = reverse_padded(outs[1], lengths)
            finals += [final[d * carried:(d + 1) * carried] for d in range(self.num_directions)]
            layer_in = torch.cat(outs, dim=2) if len(outs) > 1 else outs[0]  # (B, T, S·D)
        state = tuple(torch.stack([f[i] for f in finals], 0) for i in range(carried))  # each (L·D, B, S)
        ctx.states_out[self.node_id] = state
        top = state[0][-self.num_directions:]  # (D, B, S)
        return {"out": layer_in, "state": top.permute(1, 0, 2).reshape(B, -1)}  # (B, S·D)

    def _body(self, weights: list[dict[str, Tensor]]) -> Any:
        """One time step of every direction of one layer: the cell's step hook, padding masked."""
        step, settings, carried = self.step, self.settings, len(self.spec.carried)

        def body(carry: tuple[Tensor, ...], xs: tuple[Tensor, ...]) -> tuple[tuple[Tensor, ...], tuple[Tensor, ...]]:
            valid_t = xs[-1]  # (B, 1): 1 at a valid step, 0 on padding
            held: list[Tensor] = []
            outs = []
            for d, w in enumerate(weights):
                old = carry[d * carried:(d + 1) * carried]
                new, _records = step(w, xs[d], old, settings)  # xs[d]: (B, G·H)
                held += [valid_t * n + (1 - valid_t) * c for n, c in zip(new, old)]  # padding holds the state
                outs.append(new[0] * valid_t)  # the output is 0 on padding
            return tuple(held), tuple(outs)

        return body


class PortableModel(nn.Module):
    """The blocks of a compiled model (cells as :class:`ScanCell`) under keys torch.fx can name.

    A block id may be a Python keyword ("lambda") or hold a hyphen, which the traced graph's code
    cannot spell as an attribute; the key is then the id made an identifier (``block_lambda``)."""

    def __init__(self, model: CompiledModel) -> None:
        super().__init__()
        twin = copy.deepcopy(model).eval()
        self.model_order, self.edges = list(twin.order), list(twin.edges)
        self.keys: dict[str, str] = {}
        self.blocks = nn.ModuleDict()
        widths = _cell_widths(twin)
        for node_id in twin.order:
            key = node_id.replace("-", "_")
            if keyword.iskeyword(key) or key != node_id or key in _TAKEN:
                key = f"block_{key}"
            while key in self.blocks:
                key += "_"
            block = twin.block(node_id)
            self.blocks[key] = ScanCell(block, widths[node_id]) if isinstance(block, RecurrentBlock) else block
            self.keys[node_id] = key

    def block(self, node_id: str) -> nn.Module:
        return self.blocks[self.keys[node_id]]

    def run(self, x: Tensor, lengths: Tensor | None, nodes: list[str], target_in: Tensor | None = None,
            ctx: RunContext | None = None) -> dict[str, dict[str, Tensor]]:
        """Run ``nodes`` in order, as :meth:`CompiledModel.run_nodes` does; every node's outputs."""
        ctx = ctx or RunContext(x=x, lengths=lengths, target_in=target_in)
        outputs: dict[str, dict[str, Tensor]] = {}
        for node_id in nodes:
            ins = {tp: outputs[s][sp] for s, sp, t, tp in self.edges if t == node_id and s in outputs}
            outputs[node_id] = self.block(node_id)(ins, ctx)
        return outputs


_TAKEN = frozenset(dir(nn.ModuleDict()))


def _cell_widths(model: CompiledModel) -> dict[str, int]:
    """Node id → one direction's output width, for every cell block of ``model``."""
    widths = {}
    for node_id in model.order:
        block = model.block(node_id)
        if isinstance(block, RecurrentBlock):
            widths[node_id] = int(model.report.shapes[node_id]["out"].features) // block.num_directions
    return widths


class ForwardGraph(nn.Module):
    """The whole forward of a model without a decoder: ``(x, lengths)`` → its output."""

    def __init__(self, model: CompiledModel, with_lengths: bool) -> None:
        super().__init__()
        self.model = PortableModel(model)
        self.with_lengths, self.head = with_lengths, model.head_node

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        outputs = self.model.run(x, lengths if self.with_lengths else None, self.model.model_order)
        return outputs[self.head]["out"]


class EncoderGraph(nn.Module):
    """A decoder's source side: ``(x, lengths)`` → the decoder's initial state tensors, each (L, B, H)."""

    def __init__(self, model: CompiledModel, with_lengths: bool) -> None:
        super().__init__()
        self.model = PortableModel(model)
        self.with_lengths = with_lengths
        decode = set(model._decode_nodes)
        self.nodes = [n for n in model.order if n not in decode]
        self.init_from = (model._init_edge.source, model._init_edge.source_port)
        edge = getattr(model, "_memory_edge", None)
        self.memory_from = (edge.source, edge.source_port) if edge is not None else None
        self.decoder = self.model.block(model.decoder_node)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, ...]:
        """The state tensors; an attending decoder's memory (B, T, M) and its mask (B, T) after them."""
        lengths = lengths if self.with_lengths else None
        outputs = self.model.run(x, lengths, self.nodes)
        node, port = self.init_from
        state = tuple(self.decoder.initial_state(outputs[node][port]))
        if self.memory_from is None:
            return state
        memory = outputs[self.memory_from[0]][self.memory_from[1]]  # (B, T, M)
        return (*state, memory, source_mask(lengths, memory))


class DecoderStepGraph(nn.Module):
    """One decoder step for N hypotheses: ``(tokens (N,), *state)`` → ``(log_probs (N, V), *next state)``,
    as :meth:`CompiledModel.decode_step` (a time axis of 1: the compiled cells trace as they are)."""

    def __init__(self, model: CompiledModel) -> None:
        super().__init__()
        self.model = PortableModel(model)
        self.nodes, self.decoder, self.head = list(model._decode_nodes), model.decoder_node, model.head_node
        self.attends = getattr(model, "_memory_edge", None) is not None

    def forward(self, tokens: Tensor, *state: Tensor) -> tuple[Tensor, ...]:
        """``state``: the carried tensors, then (attending) the memory (N, T, M) and its mask (N, T)."""
        tokens = tokens.view(-1, 1)  # (N, 1)
        states_in = {self.decoder: tuple(state[:-2] if self.attends else state)}
        if self.attends:  # a decoding state keeps the memory with the batch on dim 1
            states_in[memory_key(self.decoder)] = (state[-2].transpose(0, 1), state[-1].transpose(0, 1))
        ctx = RunContext(x=tokens, target_in=tokens, states_in=states_in)
        outputs = self.model.run(tokens, None, self.nodes, ctx=ctx)
        logits = outputs[self.head]["out"][:, -1]  # (N, V)
        return (F.log_softmax(logits.float(), dim=-1), *ctx.states_out[self.decoder])
