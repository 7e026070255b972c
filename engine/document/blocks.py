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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PortType = str  # "tokens" | "class" | "seq" | "vector"
PORT_TYPES = ("tokens", "class", "seq", "vector")


@dataclass(frozen=True)
class Shape:
    """The symbolic shape of what flows along an edge."""

    kind: PortType
    features: int  # F for seq/vector; vocabulary or class count for tokens/class
    time: str = "T"  # "T" (source), "T'" (target) — meaningless for vector/class

    def __str__(self) -> str:
        if self.kind == "tokens":
            return f"(B, {self.time}) ids<{self.features}"
        if self.kind == "class":
            return f"(B,) ids<{self.features}"
        if self.kind == "seq":
            return f"(B, {self.time}, {self.features})"
        return f"(B, {self.features})"


@dataclass(frozen=True)
class ParamSpec:
    """One typed parameter of a block: the inspector builds its editor from this."""

    name: str
    type: type  # int, float, bool or str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ``ValueError`` saying why."""
        if self.type is bool:
            if isinstance(value, bool):
                return value
            raise ValueError(f"expected true or false, got {value!r}")
        if self.type is int:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
                raise ValueError(f"expected a whole number, got {value!r}")
            value = int(value)
        elif self.type is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"expected a number, got {value!r}")
            value = float(value)
        elif self.type is str:
            if not isinstance(value, str):
                raise ValueError(f"expected text, got {value!r}")
            if self.choices is not None and value not in self.choices:
                raise ValueError(f"expected one of {', '.join(self.choices)}; got {value!r}")
            return value
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be at least {_num(self.minimum)}, got {_num(value)}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be at most {_num(self.maximum)}, got {_num(value)}")
        return value


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class PortSpec:
    name: str
    accepts: tuple[PortType, ...]  # for inputs: the types it takes; for outputs: the one it gives
    help: str = ""
    optional: bool = False  # an input that may stay unconnected / an output that may stay unused


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


class ShapeError(ValueError):
    """Raised by a shape rule; the checker prefixes the node id and port."""

    def __init__(self, port: str, message: str, hint: str = "") -> None:
        self.port, self.hint = port, hint
        super().__init__(message)


# --------------------------------------------------------------------------- parameters
def _int(name: str, default: int, lo: int, hi: int, help: str, label: str = "") -> ParamSpec:
    return ParamSpec(name, int, default, help, lo, hi, label=label)


def _float(name: str, default: float, lo: float, hi: float, help: str) -> ParamSpec:
    return ParamSpec(name, float, default, help, lo, hi)


def _choice(name: str, default: str, choices: tuple[str, ...], help: str) -> ParamSpec:
    return ParamSpec(name, str, default, help, choices=choices)


def _bool(name: str, default: bool, help: str) -> ParamSpec:
    return ParamSpec(name, bool, default, help)


HIDDEN = _int("hidden_size", 64, 1, 4096, "Units in each direction of each layer (the width of h_t).")
LAYERS = _int("num_layers", 1, 1, 8, "Stacked layers (a deep RNN): each layer reads the sequence the one below emits.")
BIDIR = _bool("bidirectional", False, "Add a second RNN reading the sequence backwards; outputs are concatenated, doubling the width.")
DROPOUT = _float("dropout", 0.0, 0.0, 0.9, "Dropout between stacked layers (no effect with one layer).")
ACTIVATIONS = ("none", "tanh", "relu", "sigmoid", "gelu")

# --------------------------------------------------------------------------- shape helpers


def _in(shapes: dict[str, Shape], port: str = "in") -> Shape:
    return shapes[port]


def _recurrent_shapes(width: int) -> ShapeRule:
    def rule(p: dict[str, Any], s: dict[str, Shape]) -> dict[str, Shape]:
        x = _in(s)
        d = 2 if p["bidirectional"] else 1
        w = p[_width_param(p)] if width == 0 else width
        return {"out": Shape("seq", w * d, x.time), "state": Shape("vector", w * d)}

    return rule


def _width_param(p: dict[str, Any]) -> str:
    return "output_size" if "output_size" in p and p["output_size"] else "hidden_size"


def _gated_count(gates: int) -> ParamCount:
    """Parameters of a fused cell with ``gates`` blocks of (W_ih, W_hh, b_ih, b_hh) per layer and direction."""

    def count(p: dict[str, Any], s: dict[str, Shape]) -> int:
        h, d = p["hidden_size"], 2 if p["bidirectional"] else 1
        total, width = 0, s["in"].features
        for _ in range(p["num_layers"]):
            total += d * gates * (h * width + h * h + 2 * h)
            width = h * d
        return total

    return count


def _jordan_count(p: dict[str, Any], s: dict[str, Shape]) -> int:
    h, d = p["hidden_size"], 2 if p["bidirectional"] else 1
    o = p["output_size"] or h
    total, width = 0, s["in"].features
    for _ in range(p["num_layers"]):
        total += d * (h * width + h * o + h + o * h + o)
        width = o * d
    return total


def _jordan_shapes(p: dict[str, Any], s: dict[str, Shape]) -> dict[str, Shape]:
    d = 2 if p["bidirectional"] else 1
    o = p["output_size"] or p["hidden_size"]
    return {"out": Shape("seq", o * d, s["in"].time), "state": Shape("vector", o * d)}


CELL_IN = (PortSpec("in", ("seq",), "The input sequence (B, T, F)."),)
CELL_OUT = (
    PortSpec("out", ("seq",), "h_t at every step, directions concatenated (B, T, H·D).", optional=True),
    PortSpec("state", ("vector",), "The final state of the top layer, directions concatenated (B, H·D): feed a bridge or a head.", optional=True),
)


def _cell(kind: str, title: str, help: str, gates: int, equations: str, extra: tuple[ParamSpec, ...] = ()) -> BlockSpec:
    return BlockSpec(
        kind, title, "Cells", help, CELL_IN, CELL_OUT, (HIDDEN, LAYERS, BIDIR, DROPOUT) + extra,
        _recurrent_shapes(0), _gated_count(gates), recurrent=True, equations=equations,
    )


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
    return {"out": Shape("seq", p["hidden_size"], "T'")}


_DECODER_GATES = {"lstm": 4, "gru": 3, "elman": 1, "min_gru": 2}


def _decoder_count(p: dict[str, Any], s: dict[str, Shape]) -> int:
    h, g, e = p["hidden_size"], _DECODER_GATES[p["cell"]], p["embed_dim"]
    total, width = p["vocab_size"] * e, e
    for _ in range(p["num_layers"]):
        total += g * (h * width + h * h + 2 * h)
        width = h
    return total


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
_LSTM_EQ = ("i = σ(W_ii x + b_ii + W_hi h + b_hi); f = σ(W_if x + b_if + W_hf h + b_hf); "
            "g = tanh(W_ig x + b_ig + W_hg h + b_hg); o = σ(W_io x + b_io + W_ho h + b_ho); "
            "c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c')")
_GRU_EQ = ("r = σ(W_ir x + b_ir + W_hr h + b_hr); z = σ(W_iz x + b_iz + W_hz h + b_hz); "
           "n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h' = (1 − z) ⊙ n + z ⊙ h")

_CATALOG: tuple[BlockSpec, ...] = (
    BlockSpec("token_input", "Token sequence", "Inputs",
              "A sequence of token ids (B, T): characters or words of a vocabulary.", (),
              (PortSpec("out", ("tokens",)),),
              (_int("vocab_size", 32, 4, 1_000_000, "Vocabulary size, including the reserved <pad>, <bos>, <eos>, <unk> ids 0–3."),),
              _source("tokens", "vocab_size"), _zero),
    BlockSpec("sequence_input", "Real sequence", "Inputs",
              "A real-valued sequence (B, T, F), e.g. a time series or the adding problem's (value, marker) pairs.", (),
              (PortSpec("out", ("seq",)),),
              (_int("features", 2, 1, 4096, "Features per time step."),),
              _source("seq", "features"), _zero),
    BlockSpec("vector_input", "Vector", "Inputs",
              "One real vector per example (B, F): the seed of a one-to-many generator.", (),
              (PortSpec("out", ("vector",)),),
              (_int("features", 8, 1, 4096, "Features of the vector."),),
              _source("vector", "features"), _zero),
    BlockSpec("class_input", "Class", "Inputs",
              "One class id per example (B,): e.g. a number to spell out, for one-to-many generation.", (),
              (PortSpec("out", ("class",)),),
              (_int("num_classes", 10, 2, 1_000_000, "Number of classes."),),
              _source("class", "num_classes"), _zero),
    BlockSpec("embedding", "Embedding", "Layers",
              "A learned vector for every token id: (B, T) ids → (B, T, E).",
              (PortSpec("in", ("tokens", "class")),), (PortSpec("out", ("seq", "vector")),),
              (_int("embed_dim", 32, 1, 4096, "Length of each token's vector.", "Embedding size"),),
              _embedding_shapes, lambda p, s: s["in"].features * p["embed_dim"]),
    BlockSpec("dense", "Dense", "Layers",
              "A fully connected layer y = act(W x + b), applied at every time step of a sequence.",
              (PortSpec("in", ("seq", "vector")),), (PortSpec("out", ("seq", "vector")),),
              (_int("units", 64, 1, 65536, "Output features."),
               _choice("activation", "tanh", ACTIVATIONS, "Nonlinearity after the affine map.")),
              _same_kind(lambda p, x: p["units"]), _linear_count("units")),
    BlockSpec("dropout", "Dropout", "Layers",
              "Zeroes each feature with probability p while training; does nothing at inference.",
              (PortSpec("in", ("seq", "vector")),), (PortSpec("out", ("seq", "vector")),),
              (_float("p", 0.2, 0.0, 0.95, "Probability of dropping a feature."),),
              _same_kind(lambda p, x: x.features), _zero),
    _cell("elman", "Elman RNN", "The basic recurrent layer: h_t = act(W x_t + U h_{t−1} + b). Fused nn.RNN.", 1,
          "h' = act(W_ih x + b_ih + W_hh h + b_hh)",
          (_choice("nonlinearity", "tanh", ("tanh", "relu"), "Activation of the recurrence."),)),
    BlockSpec("jordan", "Jordan RNN", "Cells",
              "Feeds the previous output back instead of the hidden state: h_t = tanh(W x_t + U y_{t−1} + b), y_t = W_y h_t + b_y.",
              CELL_IN, CELL_OUT,
              (HIDDEN, _int("output_size", 0, 0, 4096, "Width of y_t, the fed-back output (0 = same as hidden size)."),
               LAYERS, BIDIR, DROPOUT),
              _jordan_shapes, _jordan_count, recurrent=True,
              equations="h = tanh(W_ih x + b_ih + W_hh y_prev); y = W_ho h + b_ho"),
    _cell("gru", "GRU", "Gated recurrent unit (Cho et al. 2014): reset and update gates. Fused nn.GRU.", 3, _GRU_EQ),
    _cell("min_gru", "Minimal GRU", "The simple GRU: an update gate only. u = σ(W_u x + U_u h + b_u), ñ = tanh(W x + U h + b), h = (1 − u) h + u ñ.", 2,
          "u = σ(W_iu x + b_iu + W_hu h + b_hu); n = tanh(W_in x + b_in + W_hn h + b_hn); h' = (1 − u) ⊙ h + u ⊙ n"),
    _cell("lstm", "LSTM", "Long short-term memory: input, forget and output gates and a cell state c_t. Fused nn.LSTM.", 4, _LSTM_EQ),
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
              _bridge_shapes, lambda p, s: (s["in"].features * p["hidden_size"] + p["hidden_size"]) if p["mode"] == "project" else 0),
    BlockSpec("decoder", "Decoder", "Sequence to sequence",
              "Generates the target sequence token by token from an initial state; reads the previous target token (teacher forcing while training).",
              (PortSpec("init", ("vector",), "The initial hidden state (B, H) from a bridge."),),
              (PortSpec("out", ("seq",), "h_t for every target step (B, T', H)."),),
              (ParamSpec("cell", str, "gru", "Recurrent cell of the decoder.", choices=tuple(_DECODER_GATES)),
               _int("vocab_size", 32, 4, 1_000_000, "Target vocabulary size, including <pad>, <bos>, <eos>, <unk>."),
               _int("embed_dim", 32, 1, 4096, "Size of the target-token embedding.", "Embedding size"),
               HIDDEN, LAYERS, DROPOUT,
               _int("max_len", 32, 1, 1024, "Longest sequence generated at inference.", "Max length")),
              _decoder_shapes, _decoder_count, recurrent=True),
    BlockSpec("classifier", "Classifier head", "Heads",
              "Linear layer to class scores, softmax and cross-entropy loss; per step on a sequence.",
              (PortSpec("in", ("seq", "vector")),), (PortSpec("out", ("seq", "vector")),),
              (_int("num_classes", 10, 2, 1_000_000, "Number of classes (a decoder's: its vocabulary size)."),),
              _head_shapes, _linear_count("num_classes")),
    BlockSpec("regressor", "Regression head", "Heads",
              "Linear layer to real outputs with mean-squared-error loss; per step on a sequence.",
              (PortSpec("in", ("seq", "vector")),), (PortSpec("out", ("seq", "vector")),),
              (_int("outputs", 1, 1, 4096, "Number of real outputs."),),
              _head_shapes, _linear_count("outputs")),
)

BLOCKS: dict[str, BlockSpec] = {b.kind: b for b in _CATALOG}
GROUPS: tuple[str, ...] = ("Inputs", "Cells", "Layers", "Readouts", "Sequence to sequence", "Heads")
INPUT_KINDS = frozenset(b.kind for b in _CATALOG if b.group == "Inputs")
HEAD_KINDS = frozenset(b.kind for b in _CATALOG if b.group == "Heads")
CELL_KINDS = frozenset(b.kind for b in _CATALOG if b.group == "Cells")


def block(kind: str) -> BlockSpec:
    """The spec of ``kind``; raises ``KeyError`` with the known kinds listed."""
    try:
        return BLOCKS[kind]
    except KeyError:
        raise KeyError(f"unknown block kind {kind!r}; known kinds: {', '.join(BLOCKS)}") from None


def port_types_compatible(out_type: tuple[PortType, ...], accepts: tuple[PortType, ...]) -> bool:
    """True when some type an output may carry is one the input accepts."""
    return bool(set(out_type) & set(accepts))
