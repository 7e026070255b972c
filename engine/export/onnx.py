"""ONNX export: ``model.onnx`` (classifiers, regressors, taggers) or ``encoder.onnx`` +
``decoder_step.onnx`` (decoders, so beam search can run outside), and ``manifest.json``.

Graphs come from ``torch.onnx.export`` (the dynamo exporter) on the modules of
:mod:`engine.export.onnx_graphs`, with dynamic batch and time axes. Before anything is written
to the destination, each graph is run in onnxruntime at two batch sizes and two sequence lengths
against the compiled model (atol 1e-5), and a decoder's graphs decode greedily to the same tokens
as :meth:`CompiledModel.generate`; an export that fails a check writes nothing.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import warnings
from pathlib import Path
from typing import Any

from engine.export.common import SEQUENCE_INPUTS, Exported, ExportError, sample_inputs, sample_targets, staged_folder
from engine.export.onnx_run import OnnxModel

PACKAGES = ("onnx", "onnxscript", "onnxruntime")
ATOL = 1e-5
MANIFEST_FORMAT = "rnn-designer-onnx"


def require_packages() -> None:
    """Raise :class:`ExportError` naming the ONNX packages that are not installed."""
    missing = []
    for name in PACKAGES:
        try:
            with warnings.catch_warnings():  # their imports warn about torch.jit's deprecation
                warnings.simplefilter("ignore", DeprecationWarning)
                importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ExportError(f"ONNX export needs the package{'s' if len(missing) > 1 else ''} {', '.join(missing)}, "
                          "which is not installed; install the export extra: pip install 'rnn-designer[export]' "
                          f"(or: pip install {' '.join(missing)})")


def refuse_unwritable_cells(model: Any) -> None:
    """Every cell must have a step hook and the usual weight names (weight_ih_l0, ...) for its scan."""
    from engine.document.cells import resolve
    from engine.model.modules import DecoderBlock, RecurrentBlock

    for node_id, block in model.recurrent_blocks().items():
        spec = block.cell
        try:
            resolve(spec.step)
        except LookupError as exc:
            raise ExportError(f'block "{node_id}": cell "{spec.kind}" cannot be exported to ONNX ({exc})') from None
        names = {n for n, _ in block.rnn.named_parameters()}
        if isinstance(block, RecurrentBlock) and "weight_ih_l0" not in names:
            raise ExportError(f'block "{node_id}": cell "{spec.kind}" does not name its weights weight_ih_l0, ...; '
                              "the ONNX export cannot write its recursion")
        assert isinstance(block, (RecurrentBlock, DecoderBlock))


def export_onnx(model: Any, design: Any, out: str | Path, vocabs: dict[str, Any], checkpoint: str | None) -> Exported:
    """Write the ONNX graphs of ``model`` (trained weights loaded, eval mode) and the manifest into ``out``."""
    require_packages()
    refuse_unwritable_cells(model)
    import torch

    from engine.export import onnx_graphs as graphs
    from engine.model.modules import memory_key

    model = model.eval()
    timed = model.input_kind in SEQUENCE_INPUTS
    x_names = ["x", "lengths"] if timed else ["x"]
    x_axes: dict[str, Any] = {"x": {0: "batch", 1: "time"} if timed else {0: "batch"}}
    if timed:
        x_axes["lengths"] = {0: "batch"}
    checks: list[str] = []
    with staged_folder(out) as stage:
        if model.decoder_node is None:
            files = {"model": "model.onnx"}
            _export(graphs.ForwardGraph(model, timed), _example(model, design, timed), stage / files["model"],
                    x_names, ["output"], x_axes)
        else:
            files = {"encoder": "encoder.onnx", "decoder_step": "decoder_step.onnx"}
            carried = [f"state_{name}" for name in model.block(model.decoder_node).cell.carried]
            fixed = ["memory", "memory_mask"] if _attends(model) else []  # the same at every step
            _export(graphs.EncoderGraph(model, timed), _example(model, design, timed), stage / files["encoder"],
                    x_names, carried + fixed, x_axes)
            decoding, _ = model.decode_init(*_example(model, design, timed))
            state = list(decoding[model.decoder_node])
            if fixed:  # the compiled state keeps the memory with the batch on dim 1
                state += [t.transpose(0, 1) for t in decoding[memory_key(model.decoder_node)]]
            tokens = torch.full((2,), model.bos_id, dtype=torch.long)
            step_axes = {"tokens": {0: "batch"}, **{n: {1: "batch"} for n in carried},
                         "memory": {0: "batch", 1: "time"}, "memory_mask": {0: "batch", 1: "time"}}
            _export(graphs.DecoderStepGraph(model), (tokens, *state), stage / files["decoder_step"],
                    ["tokens", *carried, *fixed], ["log_probs", *[f"next_{n}" for n in carried]], step_axes, varargs=True)
        manifest = _manifest(model, design, files, timed, vocabs, checkpoint)
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        checks = verify(stage, model, design)
        names = [*files.values(), "manifest.json"]
    return Exported(Path(out), names, "onnx", checks)


def _example(model: Any, design: Any, timed: bool) -> tuple[Any, ...]:
    """Trace inputs: batch 2 and 3 steps (sizes 0 and 1 would be specialised), rows of different lengths."""
    x, lengths = sample_inputs(model, design, 2, 3)
    return (x, lengths) if timed else (x,)


def _export(module: Any, args: tuple[Any, ...], path: Path, inputs: list[str], outputs: list[str],
            axes: dict[str, Any], varargs: bool = False) -> None:
    import torch

    dims = {name: {axis: torch.export.Dim(label) for axis, label in spec.items()} for name, spec in axes.items()}
    shared = {}  # one Dim object per label: every "batch" axis is the same symbol
    for spec in dims.values():
        for axis, dim in spec.items():
            spec[axis] = shared.setdefault(dim.__name__, dim)
    dynamic: list[Any] = [dims.get(name) for name in inputs]
    if varargs:  # forward(tokens, *state): the state's axes as one tuple
        dynamic = [dynamic[0], tuple(dynamic[1:])]
    module = module.eval().requires_grad_(False)  # no autograd: tracing the scans' backward is slow
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, args, str(path), dynamo=True, input_names=inputs, output_names=outputs,
                              dynamic_shapes=tuple(dynamic), external_data=False, verbose=False)
    except Exception as exc:  # the exporter's own failure: name the graph, keep its last line
        last = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise ExportError(f"{path.name}: torch.onnx.export failed: {last}") from exc
    finally:
        quiet.setLevel(level)


def _manifest(model: Any, design: Any, files: dict[str, str], timed: bool, vocabs: dict[str, Any],
              checkpoint: str | None) -> dict[str, Any]:
    from engine.resources import package_version

    features = design.nodes[model.input_node].params
    x_desc = {"token_input": ("int64", ["batch", "time"], f"token ids < {features.get('vocab_size')}, 0 (<pad>) after each row's length"),
              "sequence_input": ("float32", ["batch", "time", features.get("features")], "real steps, 0 after each row's length"),
              "vector_input": ("float32", ["batch", features.get("features")], "one vector per row"),
              "class_input": ("int64", ["batch"], f"one class id < {features.get('num_classes')} per row")}[model.input_kind]
    inputs = [{"name": "x", "dtype": x_desc[0], "shape": x_desc[1], "meaning": x_desc[2]}]
    if timed:
        inputs.append({"name": "lengths", "dtype": "int64", "shape": ["batch"],
                       "meaning": "valid steps of each row (1..time); pass time for unpadded rows"})
    head = model.report.shapes[model.head_node]["out"]
    graphs: dict[str, Any] = {}
    if model.decoder_node is None:
        seq = head.kind == "seq"
        what = "logits" if model.head_kind == "classifier" else "predictions"
        graphs["model"] = {"file": files["model"], "inputs": inputs, "outputs": [
            {"name": "output", "dtype": "float32", "shape": ["batch", "time", head.features] if seq else ["batch", head.features],
             "meaning": f"{what}{' at every step' if seq else ''} (what the model's forward returns)"}]}
    else:
        dec = model.block(model.decoder_node)
        state = [{"name": f"state_{c}", "dtype": "float32", "shape": [dec.num_layers, "batch", _width(model)],
                  "meaning": f"the decoder's {c} (layers, batch, size)"} for c in dec.cell.carried]
        fixed = []
        if _attends(model):
            width = int(model.report.shapes[model._memory_edge.source][model._memory_edge.source_port].features)
            fixed = [{"name": "memory", "dtype": "float32", "shape": ["batch", "time", width],
                      "meaning": f"the encoder's steps the decoder attends over ({dec.attention.score} attention); "
                                 "pass the encoder's output to every step unchanged"},
                     {"name": "memory_mask", "dtype": "bool", "shape": ["batch", "time"],
                      "meaning": "true at each row's valid source steps; pass it to every step unchanged"}]
        graphs["encoder"] = {"file": files["encoder"], "inputs": inputs, "outputs": state + fixed}
        graphs["decoder_step"] = {
            "file": files["decoder_step"],
            "inputs": [{"name": "tokens", "dtype": "int64", "shape": ["batch"], "meaning": "the previous token (<bos> first)"},
                       *state, *fixed],
            "outputs": [{"name": "log_probs", "dtype": "float32", "shape": ["batch", model.vocab_size],
                         "meaning": "log-probabilities of the next token"},
                        *[dict(s, name=f"next_{s['name']}") for s in state]]}
    return {
        "format": MANIFEST_FORMAT, "version": 1, "exported_by": f"rnn-designer {package_version()}",
        "design": design.name, "architecture": model.architecture, "head": model.head_kind,
        "checkpoint": checkpoint, "graphs": graphs, "vocabularies": vocabs,
        "special_tokens": {"pad": model.pad_id, "bos": model.bos_id, "eos": model.eos_id, "unk": 3},
        **({"decoding": {"max_len": model.max_len, "start": "bos", "stop": "eos",
                         "never_generate": ["pad", "bos"]}} if model.decoder_node is not None else {}),
    }


def _attends(model: Any) -> bool:
    return getattr(model, "_memory_edge", None) is not None


def _width(model: Any) -> int:
    return int(model.report.shapes[model.decoder_node]["out"].features)


def verify(folder: Path, model: Any, design: Any) -> list[str]:
    """Run the graphs in ``folder`` in onnxruntime against ``model``; raise :class:`ExportError` on a difference."""
    import torch

    runner = OnnxModel(folder)
    checks = []
    timed = model.input_kind in SEQUENCE_INPUTS
    sizes = ((1, 1), (3, 7)) if timed else ((1, 1), (3, 1))
    for batch, time in sizes:
        x, lengths = sample_inputs(model, design, batch, time, seed=batch * 7 + time)
        with torch.no_grad():
            if model.decoder_node is None:
                want = model(x, lengths).numpy()
                got = runner.forward(x.numpy(), None if lengths is None else lengths.numpy())
                _close(got, want, f"model.onnx at batch {batch}, {time} steps")
            else:
                state, _ = model.decode_init(x, lengths)
                want_state = [t.numpy() for t in state[model.decoder_node]]
                got_state = runner.encode(x.numpy(), None if lengths is None else lengths.numpy())
                for g, w in zip(got_state.values(), want_state):  # the carried tensors come first
                    _close(g, w, f"encoder.onnx at batch {batch}, {time} steps")
                tokens = sample_targets(model, batch, 2)[:, 1]
                want_lp, _ = model.decode_step(tokens, state)
                got_lp, _ = runner.step(tokens.numpy(), got_state)
                _close(got_lp, want_lp.numpy(), f"decoder_step.onnx at batch {batch}")
                want_tokens = model.generate(x, lengths).numpy()
                got_tokens = runner.generate(x.numpy(), None if lengths is None else lengths.numpy())
                if want_tokens.shape != got_tokens.shape or (want_tokens != got_tokens).any():
                    raise ExportError(f"greedy decoding through the ONNX graphs gives other tokens than the model "
                                      f"(batch {batch}); please report this")
        checks.append(f"onnxruntime equals the model at batch {batch}, {time} step(s) (atol {ATOL:g})"
                      + ("; greedy decoding gives the same tokens" if model.decoder_node is not None else ""))
    return checks


def _close(got: Any, want: Any, what: str) -> None:
    import numpy as np

    if got.shape != want.shape or not np.allclose(got, want, atol=ATOL, rtol=0):
        diff = float(np.abs(got - want).max()) if got.shape == want.shape else float("nan")
        raise ExportError(f"{what} differs from the model (shape {got.shape} vs {want.shape}, largest difference "
                          f"{diff:.3g}); please report this")
