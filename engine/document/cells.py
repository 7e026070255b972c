"""The cell registry: one description per recurrent cell kind, which every other place reads.

A :class:`CellSpec` says everything the rest of the house needs to know about a cell: its kind and
title, the parameters its block has, its gates (names, words, symbols and roles, in display order)
and the states a probe records, its equations (for the inspector, the palette and
``docs/cells.md``), how its weights are counted, which PyTorch fused kernel runs it (if any) and the
two torch-side hooks — ``build`` (the ``nn.Module`` of one block) and ``step`` (one time step
recomputed from the weights, what the probes record). Hooks are ``"module:function"`` strings,
resolved only when the model or the probes need them (:func:`resolve`), or plain callables; so
this module stays free of torch and of the rooms above it. Installed packages add cells through
the ``rnn_designer.cells`` entry points (:func:`load_plugins`).

The block catalog (:mod:`engine.document.blocks`) builds one cell block per registered cell and
the decoder's cell choices from :func:`decoder_choices`; the compiler, the probes, the window's
palette, inspector, node cards and gate plot read the same entries. Adding a cell kind is one
:func:`register` call; :func:`unregister` takes it away again.
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from engine.document.specs import ParamSpec

GATE_ROLES = ("input", "forget", "output", "reset", "update", "candidate")
"""What a gate does: ``candidate`` is a tanh proposal (−1..1); every other role is a sigmoid gate
(0..1). Plots colour a gate by its role, never by the cell's name."""

FAMILIES = ("simple", "output-fed", "gated")

Hook = str | Callable[..., Any]
PLUGIN_GROUP = "rnn_designer.cells"  # the entry-point group other packages offer cells under
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Gate:
    """One gate (or candidate) a probe records, e.g. the LSTM's forget gate."""

    name: str  # the probe array's name
    words: str  # "forget gate"
    symbol: str  # "fₜ"
    role: str  # one of GATE_ROLES

    @property
    def sigmoid(self) -> bool:
        """True for a 0..1 gate, False for a −1..1 candidate."""
        return self.role != "candidate"


@dataclass(frozen=True)
class Record:
    """A state a probe records besides the gates: ``h`` always, the LSTM's ``c``, Jordan's ``y``."""

    name: str
    words: str
    symbol: str


@dataclass(frozen=True)
class DecoderChoice:
    """One entry of the decoder's cell choice: a cell, and the cell parameters it fixes."""

    id: str  # the value saved in the decoder's ``cell`` parameter
    title: str
    cell: str  # the cell kind
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class CellSpec:
    """Everything about one recurrent cell kind (see the module docstring)."""

    kind: str
    title: str
    abbreviation: str  # a few letters for an icon: "LSTM", "mGRU"
    family: str  # one of FAMILIES
    help: str
    equations: tuple[str, ...]  # one equation per line, a note after two spaces
    params: tuple[ParamSpec, ...]  # the block's parameters, CELL_PARAMS among them
    gates: tuple[Gate, ...]
    states: tuple[Record, ...]  # recorded states; "h" always among them
    build: Hook  # (input_size, params, *, num_layers, dropout, bidirectional, batch_first) -> nn.Module
    step: Hook  # (weights, x_projected_t, state, module) -> (new state, {record name: tensor})
    carried: tuple[str, ...] = ("h",)  # the tensors carried from step to step; [0] is what the block emits
    weight_blocks: int = 1  # row blocks stacked in weight_ih (gates + candidates)
    fused_kernel: str = ""  # "lstm" | "gru" | "rnn": PyTorch's kernel runs it (packed sequences, fast probe)
    implementation: str = ""  # how docs/cells.md names the module
    notes: str = ""  # markdown for docs/cells.md after the equations
    card: tuple[str, ...] = ("hidden_size",)  # parameters the node card shows
    output_width: Callable[[dict[str, Any]], int] | None = None  # one direction's width (default hidden_size)
    weight_count: Callable[[dict[str, Any], int], int] | None = None  # (params, input width) -> parameters
    decoder: tuple[DecoderChoice, ...] | None = None  # None: one choice, the cell itself
    decoder_note: str = ""  # why a decoder cannot run this cell (then it offers no choice)

    @property
    def records(self) -> tuple[str, ...]:
        """Every array a probe of this cell records, gates first, in display order."""
        return tuple(g.name for g in self.gates) + tuple(r.name for r in self.states)

    @property
    def equation_text(self) -> str:
        """The equations on one line, "; " between them, each note after a dash."""
        def one(line: str) -> str:
            equation, _, note = (part.strip() for part in line.partition("  "))
            return " ".join(equation.split()) + (f" — {' '.join(note.split())}" if note else "")

        return "; ".join(one(line) for line in self.equations)

    def gate(self, name: str) -> Gate | None:
        return next((g for g in self.gates if g.name == name), None)

    def record(self, name: str) -> Gate | Record | None:
        return self.gate(name) or next((r for r in self.states if r.name == name), None)

    def width(self, params: dict[str, Any]) -> int:
        """The width of one direction's output (and state) for these parameters."""
        return self.output_width(params) if self.output_width else params["hidden_size"]

    def count(self, params: dict[str, Any], input_width: int) -> int:
        """Parameters of all layers and directions reading ``input_width`` features."""
        if self.weight_count is not None:
            return self.weight_count(params, input_width)
        h, d = params["hidden_size"], 2 if params["bidirectional"] else 1
        total, width = 0, input_width
        for _ in range(params["num_layers"]):
            total += d * self.weight_blocks * (h * width + h * h + 2 * h)
            width = h * d
        return total

    def decoder_choices(self) -> tuple[DecoderChoice, ...]:
        if self.decoder_note:
            return ()
        return self.decoder if self.decoder is not None else (DecoderChoice(self.kind, self.title, self.kind),)


# ------------------------------------------------------------------ parameters every cell has
def _int(name: str, default: int, lo: int, hi: int, help: str) -> ParamSpec:
    return ParamSpec(name, int, default, help, lo, hi)


HIDDEN = _int("hidden_size", 64, 1, 4096, "Units in each direction of each layer (the width of h_t).")
LAYERS = _int("num_layers", 1, 1, 8, "Stacked layers (a deep RNN): each layer reads the sequence the one below emits.")
BIDIR = ParamSpec("bidirectional", bool, False,
                  "Add a second RNN reading the sequence backwards; outputs are concatenated, doubling the width.")
DROPOUT = ParamSpec("dropout", float, 0.0, "Dropout between stacked layers (no effect with one layer).", 0.0, 0.9)
CELL_PARAMS = (HIDDEN, LAYERS, BIDIR, DROPOUT)
SHARED = tuple(p.name for p in CELL_PARAMS)  # what a block keeps when its cell kind changes

# ------------------------------------------------------------------ the registry
_CELLS: dict[str, CellSpec] = {}
_RESERVED: set[str] = set()  # kinds of the catalog's other blocks
_LISTENERS: list[Callable[[], None]] = []


def register(spec: CellSpec) -> CellSpec:
    """Add a cell kind; every table built from the registry (the block catalog first) follows.

    Raises ``ValueError`` naming what is wrong with the description."""
    problem = _problem(spec)
    if problem:
        raise ValueError(f"cannot register cell {spec.kind!r}: {problem}")
    _CELLS[spec.kind] = spec
    _changed()
    return spec


def unregister(kind: str) -> None:
    """Remove a cell kind added with :func:`register`."""
    cell(kind)
    del _CELLS[kind]
    _changed()


def _problem(spec: CellSpec) -> str:
    if not spec.kind.isidentifier():
        return "its kind must be a Python-style identifier"
    if spec.kind in _CELLS or spec.kind in _RESERVED:
        return "a block of that kind already exists"
    missing = [n for n in SHARED if n not in {p.name for p in spec.params}]
    if missing:
        return f"its parameters lack {', '.join(missing)}"
    if "h" not in spec.records or len(set(spec.records)) != len(spec.records):
        return "its records must be unique and include the hidden state 'h'"
    if not spec.carried:
        return "it must carry at least one state tensor"
    if any(g.role not in GATE_ROLES for g in spec.gates):
        return f"each gate's role must be one of {', '.join(GATE_ROLES)}"
    if spec.family not in FAMILIES:
        return f"its family must be one of {', '.join(FAMILIES)}"
    taken = {c.id for other in _CELLS.values() for c in other.decoder_choices()}
    if any(c.id in taken for c in spec.decoder_choices()):
        return "one of its decoder choices has an id another cell uses"
    return ""


def _changed() -> None:
    for listener in list(_LISTENERS):
        listener()


def subscribe(listener: Callable[[], None]) -> None:
    """Call ``listener()`` after every :func:`register` and :func:`unregister`."""
    _LISTENERS.append(listener)


def reserve(kinds: set[str] | frozenset[str]) -> None:
    """Kinds of other blocks: no cell may take them."""
    _RESERVED.update(kinds)


def cells() -> tuple[CellSpec, ...]:
    """Every registered cell, in palette order."""
    return tuple(_CELLS.values())


def is_cell(kind: str) -> bool:
    return kind in _CELLS


def cell(kind: str) -> CellSpec:
    """The description of ``kind``; raises ``KeyError`` listing the registered kinds."""
    try:
        return _CELLS[kind]
    except KeyError:
        raise KeyError(f"unknown cell kind {kind!r}; known cells: {', '.join(_CELLS)}") from None


def decoder_choices() -> tuple[DecoderChoice, ...]:
    """Every cell a decoder can run, in palette order."""
    return tuple(c for spec in _CELLS.values() for c in spec.decoder_choices())


def decoder_choice(choice_id: str) -> DecoderChoice:
    for choice in decoder_choices():
        if choice.id == choice_id:
            return choice
    raise KeyError(f"no decoder cell {choice_id!r}; choose one of {', '.join(c.id for c in decoder_choices())}")


def decoder_cell(params: dict[str, Any]) -> tuple[CellSpec, dict[str, Any]]:
    """A decoder's cell and the cell parameters it runs with (one direction, its own sizes)."""
    choice = decoder_choice(params["cell"])
    spec = cell(choice.cell)
    values = {p.name: p.default for p in spec.params}
    values.update(hidden_size=params["hidden_size"], num_layers=params["num_layers"], dropout=params["dropout"],
                  bidirectional=False)
    values.update(dict(choice.params))
    return spec, values


def cell_of(kind: str, params: dict[str, Any]) -> CellSpec | None:
    """The cell a block runs: a cell block's own, a decoder's choice; None for other blocks."""
    if kind in _CELLS:
        return _CELLS[kind]
    if kind == "decoder" and "cell" in params:
        try:
            return decoder_cell(params)[0]
        except KeyError:
            return None
    return None


def cell_of_records(names: set[str] | frozenset[str]) -> CellSpec | None:
    """The one registered cell whose probe records exactly ``names``; None when none or several do."""
    found = [c for c in _CELLS.values() if set(c.records) == set(names)]
    return found[0] if len(found) == 1 else None


def gate_names() -> tuple[str, ...]:
    """Every gate name of every registered cell (each once)."""
    return tuple(dict.fromkeys(g.name for c in _CELLS.values() for g in c.gates))


def resolve(hook: Hook) -> Callable[..., Any]:
    """A hook as a callable: ``"package.module:function"`` is imported on first use."""
    if callable(hook):
        return hook
    module, _, name = hook.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise LookupError(f"cell hook {hook!r} cannot be loaded: {exc}") from exc


# ------------------------------------------------------------------ the built-in cells
def _jordan_width(p: dict[str, Any]) -> int:
    return p.get("output_size") or p["hidden_size"]


def _jordan_count(p: dict[str, Any], input_width: int) -> int:
    h, d = p["hidden_size"], 2 if p["bidirectional"] else 1
    o = _jordan_width(p)
    total, width = 0, input_width
    for _ in range(p["num_layers"]):
        total += d * (h * width + h * o + h + o * h + o)
        width = o * d
    return total


H = "hidden state", "hₜ"
_MODEL = "engine.model.cells"

BUILT_IN: tuple[CellSpec, ...] = (
    CellSpec(
        "elman", "Elman RNN", "RNN", "simple",
        "The basic recurrent layer: h_t = act(W x_t + U h_{t−1} + b). Fused nn.RNN.",
        ("h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)  act = tanh or relu",),
        CELL_PARAMS + (ParamSpec("nonlinearity", str, "tanh", "Activation of the recurrence.", choices=("tanh", "relu")),),
        (), (Record("h", *H),), f"{_MODEL}:build_elman", f"{_MODEL}:elman_step",
        fused_kernel="rnn", implementation="fused `nn.RNN`", card=("hidden_size", "nonlinearity"),
        decoder=(DecoderChoice("elman", "Elman RNN", "elman", (("nonlinearity", "tanh"),)),
                 DecoderChoice("elman_relu", "Elman RNN (ReLU)", "elman", (("nonlinearity", "relu"),)))),
    CellSpec(
        "jordan", "Jordan RNN", "JRN", "output-fed",
        "Feeds the previous output back instead of the hidden state: h_t = tanh(W x_t + U y_{t−1} + b), y_t = W_y h_t + b_y.",
        ("h_t = tanh(W_ih x_t + b_ih + W_hh y_{t−1})", "y_t = W_ho h_t + b_ho"),
        (HIDDEN, ParamSpec("output_size", int, 0, "Width of y_t, the output fed back into the next step. "
                            "0 means “same as hidden size”: y_t is as wide as h_t.", 0, 4096,
                            special="same as hidden size"),
         LAYERS, BIDIR, DROPOUT),
        (), (Record("h", *H), Record("y", "output fed back", "yₜ")), f"{_MODEL}:build_jordan", f"{_MODEL}:jordan_step",
        carried=("y",), implementation="our `engine.model.cells.JordanRNN`", card=("hidden_size", "output_size"),
        output_width=_jordan_width, weight_count=_jordan_count,
        notes="The previous *output* is the context, not the hidden state. The block emits `y_t` (width "
              "`output_size`, or `hidden_size` when 0). Parameters: `weight_ih_l{k}` (H×I), `bias_ih_l{k}`, "
              "`weight_hh_l{k}` (H×O), `weight_ho_l{k}` (O×H), `bias_ho_l{k}`. As a decoder's cell its output "
              "is as wide as its hidden state, and the bridge sets y_0."),
    CellSpec(
        "gru", "GRU", "GRU", "gated",
        "Gated recurrent unit (Cho et al. 2014): reset and update gates. Fused nn.GRU.",
        ("r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)  reset gate",
         "z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)  update gate (PyTorch's convention)",
         "n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))  candidate",
         "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}"),
        CELL_PARAMS,
        (Gate("reset", "reset gate", "rₜ", "reset"), Gate("update", "update gate", "zₜ", "update"),
         Gate("candidate", "candidate", "nₜ", "candidate")),
        (Record("h", *H),), f"{_MODEL}:build_gru", f"{_MODEL}:gru_step", weight_blocks=3, fused_kernel="gru",
        implementation="fused `nn.GRU`",
        notes="**Mapping to Cho et al. (2014) and the course notes.** The notes write the update gate Γ_u so that "
              "`h_t = (1 − Γ_u) ⊙ h_{t−1} + Γ_u ⊙ ã_t`: their Γ_u weighs the *new* candidate, PyTorch's `z` weighs "
              "the *old* state. So **Γ_u = 1 − z**, and the gate plots label PyTorch's `z` \"update\" (value near 1 = "
              "keep the old state). The reset gate is the same in both (Γ_r = r), except that PyTorch applies `r` "
              "after the recurrent matrix product (`r ⊙ (W_hn h + b_hn)`), Cho et al. before it (`W (r ⊙ h)`); the "
              "two are equally expressive and PyTorch's is what cuDNN computes. Gate order in `weight_ih_l{k}`: "
              "[reset, update, candidate]."),
    CellSpec(
        "min_gru", "Minimal GRU", "mGRU", "gated",
        "The simple GRU: an update gate only. u = σ(W_u x + U_u h + b_u), ñ = tanh(W x + U h + b), h = (1 − u) h + u ñ.",
        ("u_t = σ(W_iu x_t + b_iu + W_hu h_{t−1} + b_hu)  update gate",
         "ñ_t = tanh(W_in x_t + b_in + W_hn h_{t−1} + b_hn)  candidate",
         "h_t = (1 − u_t) ⊙ h_{t−1} + u_t ⊙ ñ_t"),
        CELL_PARAMS,
        (Gate("update", "update gate", "uₜ", "update"), Gate("candidate", "candidate", "ñₜ", "candidate")),
        (Record("h", *H),), f"{_MODEL}:build_min_gru", f"{_MODEL}:min_gru_step", weight_blocks=2,
        implementation="the \"simple GRU\" with an update gate only; our `engine.model.cells.MinimalGRU`",
        notes="Stacked weights in the order [update, candidate]: `weight_ih_l{k}` is (2H×I)."),
    CellSpec(
        "lstm", "LSTM", "LSTM", "gated",
        "Long short-term memory: input, forget and output gates and a cell state c_t. Fused nn.LSTM.",
        ("i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)  input gate",
         "f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)  forget gate",
         "g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)  cell candidate (c̃ in the notes)",
         "o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)  output gate",
         "c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t",
         "h_t = o_t ⊙ tanh(c_t)"),
        CELL_PARAMS,
        (Gate("input", "input gate", "iₜ", "input"), Gate("forget", "forget gate", "fₜ", "forget"),
         Gate("cell", "cell candidate", "gₜ", "candidate"), Gate("output", "output gate", "oₜ", "output")),
        (Record("c", "cell state", "cₜ"), Record("h", *H)), f"{_MODEL}:build_lstm", f"{_MODEL}:lstm_step",
        carried=("h", "c"), weight_blocks=4, fused_kernel="lstm", implementation="fused `nn.LSTM`",
        notes="Gate order in `weight_ih_l{k}`: [input, forget, cell, output]. The notes' `a^{<t>}` is `h_t`. "
              "Initial states are zero (`a^{<0>} = c^{<0>} = 0`) unless a bridge sets a decoder's."),
)

for _spec in BUILT_IN:
    register(_spec)


def load_plugins(entry_points: Iterable[Any] | None = None) -> list[str]:
    """Register the cells installed packages offer under :data:`PLUGIN_GROUP` — each entry point a
    :class:`CellSpec` or a function that registers its cells. Runs once on import, so the window and
    every run process it starts know the same cells. A broken plugin is logged and skipped; returns
    one line per failure."""
    if entry_points is None:
        from importlib.metadata import entry_points as installed

        entry_points = installed(group=PLUGIN_GROUP)
    problems = []
    for point in entry_points:
        try:
            offered = point.load()
            if isinstance(offered, CellSpec):
                register(offered)
            else:
                offered()
        except Exception as exc:  # noqa: BLE001 - a plugin's mistake must not stop the app
            problems.append(f"cell plugin {point.name!r} ({point.value}) was not loaded: {exc}")
            log.warning(problems[-1])
    return problems


load_plugins()
