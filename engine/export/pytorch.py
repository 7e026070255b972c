"""PyTorch export: ``model.py`` — one readable file that imports only torch — and ``weights.safetensors``.

``model.py`` holds a ``Model`` class whose submodules are named after the design's blocks, with a
shape comment on every step; ``Model()`` takes no arguments and loads the weights with
``load_state_dict(safetensors.torch.load_file("weights.safetensors"), strict=True)``.
``Model.forward(x, lengths=None, target_in=None)`` takes what the compiled model's forward takes and
returns the same tensor; a decoder adds ``encode``, ``decode_step`` and a greedy ``generate``.

The fused cells are PyTorch's ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM``; the minimal GRU and the Jordan
RNN are written out as plain torch loops (:mod:`engine.export.pytorch_source`). A cell kind with no
writer here is refused before anything is written. Before the files reach the destination the
code is imported, loaded with the weights and compared with the compiled model (atol 1e-6).
"""
from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from engine.export import pytorch_source as src
from engine.export.common import Exported, ExportError, staged_folder
from engine.model.cells import JordanRNN, MinimalGRU
from engine.model.compiler import CompiledModel, block_key
from engine.model.modules import DecoderBlock, RecurrentBlock

_METHODS = {"forward", "encode", "readout", "decode_step", "generate"}
_LOCALS = {"x", "lengths", "target_in", "state", "tokens", "out", "logits", "self", "torch", "F", "nn", "Tensor",
           "State", "PAD", "BOS", "EOS", "max_len", "done", "tok", "input", "max", "min", "len", "type", "id", "sum"}
_ACTIVATION = {"none": "{}", "tanh": "torch.tanh({})", "relu": "torch.relu({})", "sigmoid": "torch.sigmoid({})",
               "gelu": "F.gelu({})"}
WRITTEN_CELLS = ("elman", "jordan", "gru", "min_gru", "lstm")


def refuse_unwritable_cells(model: CompiledModel) -> None:
    """A cell whose module this file cannot write as code is refused, naming the block and the cell."""
    for node_id, block in model.recurrent_blocks().items():
        if _rnn_class(block.rnn) is None:
            raise ExportError(f'block "{node_id}" runs the cell "{block.cell.kind}" ({type(block.rnn).__name__}), '
                              f"which the PyTorch export cannot write as code; it writes {', '.join(WRITTEN_CELLS)}")


def _rnn_class(rnn: nn.Module) -> str | None:
    for cls, name in ((nn.LSTM, "nn.LSTM"), (nn.GRU, "nn.GRU"), (nn.RNN, "nn.RNN"), (MinimalGRU, "MinimalGRU"),
                      (JordanRNN, "JordanRNN")):
        if type(rnn) is cls:
            if isinstance(rnn, nn.RNNBase) and (not rnn.bias or rnn.proj_size or not rnn.batch_first):
                return None
            return name
    return None


def _rnn_constructor(rnn: nn.Module) -> str:
    name = _rnn_class(rnn)
    assert name is not None
    size = f"{rnn.input_size}, {rnn.hidden_size}"
    if name == "JordanRNN":
        size += f", {rnn.output_size}"
    opts = [f"num_layers={rnn.num_layers}"] if rnn.num_layers > 1 else []
    if name == "nn.RNN" and rnn.nonlinearity != "tanh":
        opts.append(f'nonlinearity="{rnn.nonlinearity}"')
    if rnn.dropout:
        opts.append(f"dropout={rnn.dropout!r}")
    if rnn.bidirectional:
        opts.append("bidirectional=True")
    if name.startswith("nn."):
        opts.append("batch_first=True")
    return f"{name}({', '.join([size, *opts])})"


@dataclass
class _Source:
    """The growing text of ``model.py`` and what it needs."""

    model: CompiledModel
    design: Any
    attr_names: set[str] = field(default_factory=set)
    var_names: set[str] = field(default_factory=set)
    attrs: dict[str, str] = field(default_factory=dict)  # node id → attribute of Model
    vars: dict[tuple[str, str], str] = field(default_factory=dict)  # (node, port) → variable
    init: list[str] = field(default_factory=list)
    helpers: set[str] = field(default_factory=set)
    weights: dict[str, str] = field(default_factory=dict)  # compiled prefix → exported prefix

    def fresh(self, base: str, reserved: set[str], attribute: bool = False) -> str:
        """A new Python name from ``base`` (a block id): not a keyword, not reserved, not taken."""
        taken = self.attr_names if attribute else self.var_names
        name = base.replace("-", "_")
        if not name.isidentifier() or keyword.iskeyword(name) or name in reserved:
            name += "_"
        candidate, n = name, 2
        while candidate in taken:
            candidate, n = f"{name}{n}", n + 1
        taken.add(candidate)
        return candidate


def _attr_reserved() -> set[str]:
    return set(dir(nn.Module)) | _METHODS | _LOCALS


def write_code(model: CompiledModel, design: Any, note: str) -> tuple[str, dict[str, str]]:
    """``model.py``'s text and the map from the compiled model's state-dict prefixes to its own."""
    s = _Source(model, design)
    reserved = _attr_reserved()
    for node_id in model.order:
        s.attrs[node_id] = s.fresh(node_id, reserved, attribute=True)
    for node_id in model.order:
        _init_lines(s, node_id)
    if model.decoder_node is not None:
        body = _decoder_methods(s)
    else:
        body = _forward_method(s)
    return _assemble(s, body, note), s.weights


def _shape(model: CompiledModel, node_id: str, port: str = "out") -> str:
    return str(model.report.shapes[node_id][port])


def _init_lines(s: _Source, node_id: str) -> None:
    m, node = s.model, s.design.nodes[node_id]
    attr, key, block = s.attrs[node_id], block_key(node_id), m.block(node_id)
    kind, p = node.kind, node.params
    ins = m.report.input_shapes.get(node_id, {})
    title = f'# block "{node_id}" ({node.spec.title})'
    line = None
    if kind == "embedding":
        e = block.embed
        pad = "0" if e.padding_idx == 0 else "None"
        line = f"nn.Embedding({e.num_embeddings}, {e.embedding_dim}, padding_idx={pad})"
        s.weights[f"blocks.{key}.embed."] = f"{attr}."
    elif kind in ("dense", "classifier", "regressor"):
        lin = block.linear
        line = f"nn.Linear({lin.in_features}, {lin.out_features})"
        s.weights[f"blocks.{key}.linear."] = f"{attr}."
    elif kind == "dropout":
        line = f"nn.Dropout({p['p']!r})"
    elif kind == "bridge" and block.proj is not None:
        line = f"nn.Linear({block.proj.in_features}, {block.proj.out_features})"
        s.weights[f"blocks.{key}.proj."] = f"{attr}."
    elif isinstance(block, RecurrentBlock):
        line = _rnn_constructor(block.rnn)
        s.weights[f"blocks.{key}.rnn."] = f"{attr}."
        _need_cell(s, block.rnn)
    elif isinstance(block, DecoderBlock):
        e = block.embed
        parts = (f"nn.Embedding({e.num_embeddings}, {e.embedding_dim}, padding_idx=0), "
                 f"{_rnn_constructor(block.rnn)}, num_layers={block.num_layers}")
        s.weights[f"blocks.{key}.embed."] = f"{attr}.embed."
        s.weights[f"blocks.{key}.rnn."] = f"{attr}.rnn."
        _need_cell(s, block.rnn)
        s.helpers.add("decoder")
        att = getattr(block, "attention", None)
        if att is None:
            line = f"Decoder({parts})"
        else:
            line = f'AttendingDecoder({parts}, attention=Attention("{att.score}", {att.query_size}, {att.memory_size}))'
            s.weights[f"blocks.{key}.attention."] = f"{attr}.attention."
            s.helpers.add("attention")
    if line is not None:
        shapes = " ".join(f"{port} {shape}" for port, shape in ins.items())
        s.init.append(f"        {title}: {shapes} → {_shape(m, node_id)}")
        s.init.append(f"        self.{attr} = {line}")


def _need_cell(s: _Source, rnn: nn.Module) -> None:
    s.helpers.add("run_rnn")
    name = _rnn_class(rnn)
    if name in ("MinimalGRU", "JordanRNN"):
        s.helpers.update({"looped", name})


def _node_lines(s: _Source, node_id: str, lengths: str = "lengths") -> list[str]:
    """The forward lines of one node (not the decoder's), its outputs bound to fresh variables."""
    m, node = s.model, s.design.nodes[node_id]
    kind, attr, block = node.kind, s.attrs[node_id], m.block(node_id)
    edges = {tp: (src_, sp) for src_, sp, t, tp in m.edges if t == node_id}
    ins = {port: s.vars[e] for port, e in edges.items() if e in s.vars}
    v = s.fresh(attr, _LOCALS | _METHODS)
    s.vars[(node_id, "out")] = v
    shape = _shape(m, node_id)
    arg = ins.get("in", "")
    if kind in ("token_input", "sequence_input", "vector_input", "class_input"):
        return [f"{v} = x  # {shape}: the input"]
    if kind in ("embedding", "dropout", "classifier", "regressor"):
        return [f"{v} = self.{attr}({arg})  # {shape}"]
    if kind == "dense":
        act = _ACTIVATION[node.params["activation"]].format(f"self.{attr}({arg})")
        return [f"{v} = {act}  # {shape}"]
    if kind == "every_step":
        return [f"{v} = {arg}  # {shape}: every step"]
    if kind in ("last_step", "mean_steps"):
        s.helpers.add(kind)
        return [f"{v} = {kind}({arg}, {lengths})  # {shape}"]
    if kind == "bridge":
        if block.proj is None:
            return [f"{v} = {arg}  # {shape}: copied"]
        return [f"{v} = torch.tanh(self.{attr}({arg}))  # {shape}"]
    if isinstance(block, RecurrentBlock):
        final = s.fresh(f"{v}_final", _LOCALS)
        lines = [f"{v}, {final} = run_rnn(self.{attr}, {arg}, {lengths})  # {shape}; final state (layers·directions, B, size)"]
        used = any(src_ == node_id and sp == "state" for src_, sp, _t, _tp in m.edges)
        if used:
            st = s.fresh(f"{v}_state", _LOCALS)
            s.vars[(node_id, "state")] = st
            lines.append(f"{st} = top_state({final}, {block.num_directions})  # {_shape(m, node_id, 'state')}: "
                         "the top layer's last state")
        return lines
    raise ExportError(f'block "{node_id}" ({kind}) has no PyTorch code writer')  # refused earlier; kept for safety


def _signature(lengths_too: bool = True) -> str:
    return "self, x: Tensor, lengths: Tensor | None = None" + (", target_in: Tensor | None = None" if lengths_too else "")


def _input_doc(s: _Source) -> str:
    m = s.model
    shape = _shape(m, m.input_node)
    if m.input_kind in ("token_input", "sequence_input"):
        return f"x {shape} (0 past each row's length), lengths (B,) valid steps (None: all T)"
    return f"x {shape}"


def _forward_method(s: _Source) -> list[str]:
    m = s.model
    lines = [f"    def forward({_signature()}) -> Tensor:",
             f'        """{_input_doc(s)} → {_shape(m, m.head_node)}; target_in is not used."""']
    for node_id in m.order:
        lines += [f"        {line}" for line in _node_lines(s, node_id)]
    lines.append(f"        return {s.vars[(m.head_node, 'out')]}")
    return lines


def _decoder_methods(s: _Source) -> list[str]:
    m = s.model
    dec, dec_attr = m.decoder_node, s.attrs[m.decoder_node]
    decode = set(m._decode_nodes)
    init_src = (m._init_edge.source, m._init_edge.source_port)
    memory_edge = getattr(m, "_memory_edge", None)
    lines = [f"    def encode({_signature(False)}) -> {'State' if memory_edge is None else 'Memory'}:",
             f'        """{_input_doc(s)} → the decoder\'s initial state (layers, B, {_width(m)})'
             + ("" if memory_edge is None else ", the memory it attends over and its mask") + '."""']
    for node_id in [n for n in m.order if n not in decode]:
        lines += [f"        {line}" for line in _node_lines(s, node_id)]
    if memory_edge is None:
        lines.append(f"        return self.{dec_attr}.initial_state({s.vars[init_src]})")
    else:  # an attending decoder: the state also carries the memory and its mask
        memory = s.vars[(memory_edge.source, memory_edge.source_port)]
        lines.append(f"        return self.{dec_attr}.initial_state({s.vars[init_src]}), {memory}, "
                     f"source_mask(lengths, {memory})  # state, memory (B, T, M), mask (B, T)")
    out = s.fresh(f"{dec_attr}_out", _LOCALS)
    s.vars[(dec, "out")] = out
    head = _shape(m, m.head_node)
    lines += ["", f"    def readout(self, {out}: Tensor) -> Tensor:",
              f'        """What follows the decoder: its outputs {_shape(m, dec)} → {head}."""']
    for node_id in [n for n in m.order if n in decode and n != dec]:
        lines += [f"        {line}" for line in _node_lines(s, node_id, "None")]
    lines.append(f"        return {s.vars[(m.head_node, 'out')]}")
    lines += ["", f"    def forward({_signature()}) -> Tensor:",
              f'        """Teacher forcing: {_input_doc(s)}, target_in (B, T\') = <bos> + the target shifted right → {head}."""',
              "        if target_in is None:",
              '            raise ValueError("this model needs target_in (teacher forcing); use generate() to decode")',
              *(["        state = self.encode(x, lengths)",
                 f"        {out}, _ = self.{dec_attr}(target_in, state)  # {_shape(m, dec)}"] if memory_edge is None else
                ["        state, memory, mask = self.encode(x, lengths)",
                 f"        {out}, _, _ = self.{dec_attr}(target_in, state, memory, mask)  # {_shape(m, dec)}"]),
              f"        return self.readout({out})  # {head}",
              "", "    def decode_step(self, tokens: Tensor, state: Memory) -> tuple[Tensor, Memory]:"
              if memory_edge is not None else "    def decode_step(self, tokens: Tensor, state: State) -> tuple[Tensor, State]:",
              '        """One step for N hypotheses: tokens (N,) → log-probabilities (N, V) and the next state."""',
              *([f"        {out}, state = self.{dec_attr}(tokens.view(-1, 1), state)  # (N, 1, {_width(m)})"] if memory_edge is None else
                ["        rnn_state, memory, mask = state  # the memory and its mask ride along unchanged",
                 f"        {out}, rnn_state, _weights = self.{dec_attr}(tokens.view(-1, 1), rnn_state, memory, mask)"
                 f"  # (N, 1, {_width(m)}), weights (N, 1, T)",
                 "        state = (rnn_state, memory, mask)"]),
              f"        logits = self.readout({out})[:, -1]  # (N, {m.vocab_size})",
              "        return F.log_softmax(logits.float(), dim=-1), state",
              "", "    @torch.no_grad()",
              f"    def generate(self, x: Tensor, lengths: Tensor | None = None, max_len: int = {m.max_len}) -> Tensor:",
              '        """Greedy decoding: (B, T\') token ids after <bos>, up to and including <eos>, then 0 (<pad>)."""',
              "        state = self.encode(x, lengths)",
              "        B = x.shape[0]",
              "        tok = torch.full((B,), BOS, dtype=torch.long, device=x.device)  # (B,)",
              "        out = torch.zeros(B, max_len, dtype=torch.long, device=x.device)  # (B, max_len)",
              "        done = torch.zeros(B, dtype=torch.bool, device=x.device)",
              "        for t in range(max_len):",
              "            log_probs, state = self.decode_step(tok, state)  # (B, V)",
              "            log_probs[:, [PAD, BOS]] = float(\"-inf\")  # never generated",
              "            tok = log_probs.argmax(-1)  # (B,)",
              "            out[:, t] = tok.masked_fill(done, PAD)",
              "            done |= tok == EOS",
              "            if bool(done.all()):",
              "                return out[:, : t + 1]",
              "        return out"]
    return lines


def _width(m: CompiledModel) -> int:
    return int(m.report.shapes[m.decoder_node]["out"].features)


def _assemble(s: _Source, body: list[str], note: str) -> str:
    m, d = s.model, s.design
    description = str(d.metadata.get("description") or "").strip()
    article = "an" if m.architecture[:1] in "aeiou" else "a"
    doc = [f'"""{d.name}: {article} {m.architecture} model exported by {note}.', ""]
    if description:
        doc += [description, ""]
    doc += ["Standalone: this file imports only torch. Load the trained model with", "",
            "    import safetensors.torch", "    from model import Model", "",
            "    model = Model().eval()",
            '    model.load_state_dict(safetensors.torch.load_file("weights.safetensors"), strict=True)', "",
            f"Input: {_input_doc(s)}.",
            f"Output: model(x, lengths{', target_in' if m.decoder_node else ''}) → {_shape(m, m.head_node)}"
            + (" logits" if m.head_kind == "classifier" else " predictions") + "."]
    if m.decoder_node:
        doc.append("model.generate(x, lengths) → (B, T') greedy token ids, up to <eos>.")
    doc += [f"Blocks, in the order they run: {' → '.join(m.order)}.",
            "Shapes: B batch, T source steps, T' target steps.", '"""']
    parts = ["\n".join(doc) + "\n", src.IMPORTS]
    if "run_rnn" in s.helpers:
        parts.append(src.RUN_RNN)
    for key, text in (("last_step", src.LAST_STEP), ("mean_steps", src.MEAN_STEPS), ("looped", src.LOOPED_RNN),
                      ("MinimalGRU", src.MINIMAL_GRU), ("JordanRNN", src.JORDAN_RNN), ("decoder", src.DECODER),
                      ("attention", src.ATTENTION)):
        if key in s.helpers:
            parts.append(text)
    cls = ["", "", "class Model(nn.Module):",
           f'    """{d.name} ({m.architecture}): each submodule is named after its block in the design."""', "",
           "    def __init__(self) -> None:", "        super().__init__()", *s.init, "", *body]
    return "".join(parts) + "\n".join(cls) + "\n"


def exported_weights(model: CompiledModel, mapping: dict[str, str]) -> dict[str, Any]:
    """The compiled model's tensors under ``model.py``'s names (contiguous CPU copies)."""
    out = {}
    for key, value in model.state_dict().items():
        prefix = next((p for p in mapping if key.startswith(p)), None)
        if prefix is None:
            raise ExportError(f"the weight {key} has no place in the exported code; please report this")
        out[mapping[prefix] + key[len(prefix):]] = value.detach().cpu().clone().contiguous()
    return out


def export_pytorch(model: CompiledModel, design: Any, out: str | Path, note: str,
                   vocabs: dict[str, Any]) -> Exported:
    """Write ``model.py`` and ``weights.safetensors`` (and ``vocab.json`` when the task has vocabularies)."""
    import json

    from safetensors.torch import save_file

    from engine.export.pytorch_check import verify

    refuse_unwritable_cells(model)
    model = model.eval()
    code, mapping = write_code(model, design, note)
    weights = exported_weights(model, mapping)
    with staged_folder(out) as stage:
        (stage / "model.py").write_text(code, encoding="utf-8")
        save_file(weights, str(stage / "weights.safetensors"), metadata={"format": "rnn-designer-pytorch-export",
                                                                        "design": design.name})
        files = ["model.py", "weights.safetensors"]
        if vocabs:
            (stage / "vocab.json").write_text(json.dumps(vocabs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            files.append("vocab.json")
        checks = verify(stage, model, design)
    return Exported(Path(out), files, "pytorch", checks)
