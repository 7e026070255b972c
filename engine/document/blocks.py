"""The block catalog: every kind of block, its ports, typed parameters and shape rule.

The palette, the inspector, the checker and the compiler all read this one table; nothing else
lists block kinds. Shapes are symbolic: a value flowing along an edge is one of

- ``tokens`` (B, T) integer ids with a vocabulary size,
- ``class``  (B,)   one integer id per example with a number of classes,
- ``seq``    (B, T, F) real features per time step,
- ``vector`` (B, F) real features per example.

``T`` is the source time axis; a decoder's output runs on the target time axis ``T'``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass
from typing import Any

from engine.document import attention as attention_spec
from engine.document import cells as cell_registry
from engine.document.cells import BIDIR, DROPOUT, HIDDEN, LAYERS, CellSpec
from engine.document.specs import PORT_TYPES, ParamSpec, PortSpec, PortType, Shape, ShapeError

__all__ = ["BLOCKS", "CELL_KINDS", "GROUPS", "HEAD_KINDS", "INPUT_KINDS", "PORT_TYPES", "BIDIR", "DROPOUT", "HIDDEN",
           "LAYERS", "BlockSpec", "ParamSpec", "PortSpec", "PortType", "Shape", "ShapeError", "block",
           "port_types_compatible"]

ShapeRule = Callable[[dict[str, Any], dict[str, Shape]], dict[str, Shape]]
ParamCount = Callable[[dict[str, Any], dict[str, Shape]], int]


@dataclass(frozen=True)
class BlockSpec:
    kind: str
    title: str
    group: str  # "Inputs" | "Cells" | "Layers" | "Readouts" | "Sequence to sequence" | "Heads"
    help: str
    inputs: tuple[PortSpec, ...]
    outputs: tuple[PortSpec, ...]
    params: tuple[ParamSpec, ...]
    shape_rule: ShapeRule
    param_count: ParamCount
    recurrent: bool = False
    equations: str = ""
    card: tuple[str, ...] = ()  # the parameters a node card shows under its title

    def param(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def input_port(self, name: str) -> PortSpec | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output_port(self, name: str) -> PortSpec | None:
        return next((p for p in self.outputs if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


# --------------------------------------------------------------------------- parameters
def _int(name: str, default: int, lo: int, hi: int, help: str, label: str = "") -> ParamSpec:
    return ParamSpec(name, int, default, help, lo, hi, label=label)


def _float(name: str, default: float, lo: float, hi: float, help: str) -> ParamSpec:
    return ParamSpec(name, float, default, help, lo, hi)


def _choice(name: str, default: str, choices: tuple[str, ...], help: str) -> ParamSpec:
    return ParamSpec(name, str, default, help, choices=choices)


ACTIVATIONS = ("none", "tanh", "relu", "sigmoid", "gelu")

# --------------------------------------------------------------------------- shape helpers


def _in(shapes: dict[str, Shape], port: str = "in") -> Shape:
    return shapes[port]


CELL_IN = (PortSpec("in", ("seq",), "The input sequence (B, T, F)."),)
CELL_OUT = (
    PortSpec("out", ("seq",), "h_t at every step, directions concatenated (B, T, H·D).", optional=True),
    PortSpec("state", ("vector",), "The final state of the top layer, directions concatenated (B, H·D): feed a bridge or a head.", optional=True),
)


def cell_block(cell: CellSpec) -> BlockSpec:
    """The catalog entry of a registered cell: its ports are every cell's, its rules the cell's sizes."""

    def shapes(p: dict[str, Any], s: dict[str, Shape]) -> dict[str, Shape]:
        w = cell.width(p) * (2 if p["bidirectional"] else 1)
        return {"out": Shape("seq", w, _in(s).time), "state": Shape("vector", w)}

    return BlockSpec(cell.kind, cell.title, "Cells", cell.help, CELL_IN, CELL_OUT, cell.params, shapes,
                     lambda p, s: cell.count(p, s["in"].features), recurrent=True, equations=cell.equation_text,
                     card=cell.card)


# --------------------------------------------------------------------------- shape rules of the other blocks
def _embedding_shapes(p: dict[str, Any], s: dict[str, Shape]) -> dict[str, Shape]:
    x = _in(s)
    return {"out": Shape("seq", p["embed_dim"], x.time) if x.kind == "tokens" else Shape("vector", p["embed_dim"])}


def _same_kind(width_of: Callable[[dict[str, Any], Shape], int]) -> ShapeRule:
    def rule(p: dict[str, Any], s: dict[str, Shape]) -> dict[str, Shape]:
        x = _in(s)
        return {"out": Shape(x.kind, width_of(p, x), x.time)}

    return rule


def _to_vector(p: dict[str, Any], s: dict[str, Shape]) -> dict[str, Shape]:
    return {"out": Shape("vector", _in(s).features)}


def _bridge_shapes(p: dict[str, Any], s: dict[str, Shape]) -> dict[str, Shape]:
    x = _in(s)
    if p["mode"] == "copy" and x.features != p["hidden_size"]:
        raise ShapeError("in", f"mode 'copy' expects {p['hidden_size']} features, gets {x.features}",
                         "set mode to 'project' or make the sizes match")
    return {"out": Shape("vector", p["hidden_size"])}


def _decoder_shapes(p: dict[str, Any], s: dict[str, Shape]) -> dict[str, Shape]:
    init = s["init"]
    if init.features != p["hidden_size"]:
        raise ShapeError("init", f"expects {p['hidden_size']} features (the decoder's hidden size), "
                         f"gets {init.features}", f"set the bridge's hidden size to {p['hidden_size']}")
    memory, score = s.get("memory"), p.get("attention", "none")
    if memory is not None and score != "none":
        if memory.time != "T":
            raise ShapeError("memory", f"attends over the source's steps (B, T, F), gets {memory}",
                             "connect the encoder's \"out\" port (h_t at every source step)")
        if score == "dot" and memory.features != p["hidden_size"]:
            raise ShapeError("memory", f"dot attention compares the decoder's state ({p['hidden_size']} features) "
                             f"with every source step, which has {memory.features}",
                             "choose general or additive attention, or make the sizes match")
    return {"out": Shape("seq", p["hidden_size"], "T'")}


def _decoder_count(p: dict[str, Any], s: dict[str, Shape]) -> int:
    cell, values = cell_registry.decoder_cell(p)
    memory = s.get("memory")
    attention = (attention_spec.attention_params(p.get("attention", "none"), p["hidden_size"], memory.features)
                 if memory is not None else 0)
    return p["vocab_size"] * p["embed_dim"] + cell.count(values, p["embed_dim"]) + attention


def decoder_block() -> BlockSpec:
    """The decoder's entry: its cell choice offers every registered cell a decoder can run."""
    choices = cell_registry.decoder_choices()
    cannot = [f"{c.title}: {c.decoder_note}" for c in cell_registry.cells() if c.decoder_note]
    help = "Recurrent cell of the decoder." + (" Not offered: " + "; ".join(cannot) + "." if cannot else "")
    return BlockSpec(
        "decoder", "Decoder", "Sequence to sequence",
        "Generates the target sequence token by token from an initial state; reads the previous target token (teacher forcing while training).",
        (PortSpec("init", ("vector",), "The initial hidden state (B, H) from a bridge."),
         PortSpec("memory", ("seq",), "The encoder's outputs at every source step (B, T, M), attended over at "
                  "every target step when attention is on.", optional=True)),
        (PortSpec("out", ("seq",), "h_t for every target step (B, T', H); with attention the attentional "
                  "state tanh(W_c [c_t; h_t])."),),
        (ParamSpec("cell", str, "gru", help, choices=tuple(c.id for c in choices),
                   choice_titles=tuple(c.title for c in choices)),
         _int("vocab_size", 32, 4, 1_000_000, "Target vocabulary size, including <pad>, <bos>, <eos>, <unk>."),
         _int("embed_dim", 32, 1, 4096, "Size of the target-token embedding.", "Embedding size"),
         HIDDEN, LAYERS, DROPOUT,
         _int("max_len", 32, 1, 1024, "Longest sequence generated at inference.", "Max length"),
         ParamSpec("attention", str, "none", "Attend over the encoder's outputs wired to the memory port: at every "
                   "target step a softmax over the source steps weighs them (additive: Bahdanau; dot and "
                   "general: Luong). None squeezes the whole source through the initial state.",
                   choices=attention_spec.CHOICES, choice_titles=attention_spec.TITLES, hashed_at_default=False)),
        _decoder_shapes, _decoder_count, recurrent=True, card=("cell", "hidden_size", "vocab_size"))


def _head_shapes(p: dict[str, Any], s: dict[str, Shape]) -> dict[str, Shape]:
    x = _in(s)
    n = p["num_classes"] if "num_classes" in p else p["outputs"]
    return {"out": Shape(x.kind, n, x.time)}


def _linear_count(out_param: str) -> ParamCount:
    return lambda p, s: s["in"].features * p[out_param] + p[out_param]


def _zero(p: dict[str, Any], s: dict[str, Shape]) -> int:
    return 0


def _source(kind: PortType, param: str) -> ShapeRule:
    return lambda p, s: {"out": Shape(kind, p[param])}


# --------------------------------------------------------------------------- the table
_CATALOG: tuple[BlockSpec, ...] = (
    BlockSpec("token_input", "Token sequence", "Inputs",
              "A sequence of token ids (B, T): characters or words of a vocabulary.", (),
              (PortSpec("out", ("tokens",)),),
              (_int("vocab_size", 32, 4, 1_000_000, "Vocabulary size, including the reserved <pad>, <bos>, <eos>, <unk> ids 0–3."),),
              _source("tokens", "vocab_size"), _zero, card=("vocab_size",)),
    BlockSpec("sequence_input", "Real sequence", "Inputs",
              "A real-valued sequence (B, T, F), e.g. a time series or the adding problem's (value, marker) pairs.", (),
              (PortSpec("out", ("seq",)),),
              (_int("features", 2, 1, 4096, "Features per time step."),),
              _source("seq", "features"), _zero, card=("features",)),
    BlockSpec("vector_input", "Vector", "Inputs",
              "One real vector per example (B, F): the seed of a one-to-many generator.", (),
              (PortSpec("out", ("vector",)),),
              (_int("features", 8, 1, 4096, "Features of the vector."),),
              _source("vector", "features"), _zero, card=("features",)),
    BlockSpec("class_input", "Class", "Inputs",
              "One class id per example (B,): e.g. a number to spell out, for one-to-many generation.", (),
              (PortSpec("out", ("class",)),),
              (_int("num_classes", 10, 2, 1_000_000, "Number of classes."),),
              _source("class", "num_classes"), _zero, card=("num_classes",)),
    BlockSpec("embedding", "Embedding", "Layers",
              "A learned vector for every token id: (B, T) ids → (B, T, E).",
              (PortSpec("in", ("tokens", "class")),), (PortSpec("out", ("seq", "vector")),),
              (_int("embed_dim", 32, 1, 4096, "Length of each token's vector.", "Embedding size"),),
              _embedding_shapes, lambda p, s: s["in"].features * p["embed_dim"], card=("embed_dim",)),
    BlockSpec("dense", "Dense", "Layers",
              "A fully connected layer y = act(W x + b), applied at every time step of a sequence.",
              (PortSpec("in", ("seq", "vector")),), (PortSpec("out", ("seq", "vector")),),
              (_int("units", 64, 1, 65536, "Output features."),
               _choice("activation", "tanh", ACTIVATIONS, "Nonlinearity after the affine map.")),
              _same_kind(lambda p, x: p["units"]), _linear_count("units"), card=("units", "activation")),
    BlockSpec("dropout", "Dropout", "Layers",
              "Zeroes each feature with probability p while training; does nothing at inference.",
              (PortSpec("in", ("seq", "vector")),), (PortSpec("out", ("seq", "vector")),),
              (_float("p", 0.2, 0.0, 0.95, "Probability of dropping a feature."),),
              _same_kind(lambda p, x: x.features), _zero, card=("p",)),
    *(cell_block(c) for c in cell_registry.cells()),
    BlockSpec("last_step", "Last step", "Readouts",
              "Keeps the last valid time step of each sequence: (B, T, F) → (B, F). For many-to-one.",
              (PortSpec("in", ("seq",)),), (PortSpec("out", ("vector",)),), (), _to_vector, _zero),
    BlockSpec("mean_steps", "Mean over steps", "Readouts",
              "Averages the valid time steps of each sequence: (B, T, F) → (B, F).",
              (PortSpec("in", ("seq",)),), (PortSpec("out", ("vector",)),), (), _to_vector, _zero),
    BlockSpec("every_step", "Every step", "Readouts",
              "Passes every time step on, (B, T, F) → (B, T, F): one output per input step (many-to-many).",
              (PortSpec("in", ("seq",)),), (PortSpec("out", ("seq",)),), (), _same_kind(lambda p, x: x.features), _zero),
    BlockSpec("bridge", "Bridge", "Sequence to sequence",
              "Turns an encoder's final state (or a seed vector) into the decoder's initial state: a tanh projection, or a copy when sizes match.",
              (PortSpec("in", ("vector",)),), (PortSpec("out", ("vector",)),),
              (_int("hidden_size", 64, 1, 4096, "The decoder's hidden size."),
               _choice("mode", "project", ("project", "copy"), "project: h0 = tanh(W s + b); copy: h0 = s (sizes must match).")),
              _bridge_shapes, lambda p, s: (s["in"].features * p["hidden_size"] + p["hidden_size"]) if p["mode"] == "project" else 0,
              card=("hidden_size", "mode")),
    decoder_block(),
    BlockSpec("classifier", "Classifier head", "Heads",
              "Linear layer to class scores, softmax and cross-entropy loss; per step on a sequence.",
              (PortSpec("in", ("seq", "vector")),), (PortSpec("out", ("seq", "vector")),),
              (_int("num_classes", 10, 2, 1_000_000, "Number of classes (a decoder's: its vocabulary size)."),),
              _head_shapes, _linear_count("num_classes"), card=("num_classes",)),
    BlockSpec("regressor", "Regression head", "Heads",
              "Linear layer to real outputs with mean-squared-error loss; per step on a sequence.",
              (PortSpec("in", ("seq", "vector")),), (PortSpec("out", ("seq", "vector")),),
              (_int("outputs", 1, 1, 4096, "Number of real outputs."),),
              _head_shapes, _linear_count("outputs"), card=("outputs",)),
)

BLOCKS: dict[str, BlockSpec] = {b.kind: b for b in _CATALOG}
GROUPS: tuple[str, ...] = ("Inputs", "Cells", "Layers", "Readouts", "Sequence to sequence", "Heads")
INPUT_KINDS = frozenset(b.kind for b in _CATALOG if b.group == "Inputs")
HEAD_KINDS = frozenset(b.kind for b in _CATALOG if b.group == "Heads")


class _CellKinds(Set[str]):
    """The kinds of the registered cells, always current (a cell registered later is in it)."""

    def __contains__(self, kind: object) -> bool:
        return isinstance(kind, str) and cell_registry.is_cell(kind)

    def __iter__(self) -> Iterator[str]:
        return iter([c.kind for c in cell_registry.cells()])

    def __len__(self) -> int:
        return len(cell_registry.cells())

    def __repr__(self) -> str:
        return f"CELL_KINDS({', '.join(self)})"


CELL_KINDS: Set[str] = _CellKinds()


def _follow_registry() -> None:
    """Keep the catalog equal to the registry: a cell block per cell, the decoder's choices current."""
    for kind in [k for k, b in BLOCKS.items() if b.group == "Cells" and not cell_registry.is_cell(k)]:
        del BLOCKS[kind]
    for c in cell_registry.cells():
        BLOCKS[c.kind] = cell_block(c)
    BLOCKS["decoder"] = decoder_block()


cell_registry.reserve(frozenset(k for k, b in BLOCKS.items() if b.group != "Cells"))
cell_registry.subscribe(_follow_registry)


def block(kind: str) -> BlockSpec:
    """The spec of ``kind``; raises ``KeyError`` with the known kinds listed."""
    try:
        return BLOCKS[kind]
    except KeyError:
        raise KeyError(f"unknown block kind {kind!r}; known kinds: {', '.join(BLOCKS)}") from None


def port_types_compatible(out_type: tuple[PortType, ...], accepts: tuple[PortType, ...]) -> bool:
    """True when some type an output may carry is one the input accepts."""
    return bool(set(out_type) & set(accepts))
