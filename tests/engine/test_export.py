"""Export: model.py + weights.safetensors give the compiled model's outputs in a fresh interpreter
that cannot import this project, for every architecture and cell kind; ONNX graphs give them in
onnxruntime at several batch sizes and lengths, and greedy decoding through them equals ours;
what cannot be exported is refused before anything is written."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from engine.cli.main import main as cli_main
from engine.document.cells import BUILT_IN, cells
from engine.document.design import Design
from engine.document.design_file import save_design
from engine.document.templates import template
from engine.export import ExportError, export_model
from engine.export.common import sample_inputs, sample_targets
from engine.model.compiler import compile_design
from engine.training.checkpoint import save_checkpoint

CELLS = ("elman", "jordan", "gru", "min_gru", "lstm")
ARCHITECTURES = ("many-to-one", "many-to-many", "encoder-decoder", "one-to-many")
SIZES = ((1, 1), (3, 6))  # (batch, time) of the inputs checked outside


def _small(arch: str, cell: str, layers: int = 2, attention: str | None = None) -> Design:
    opts: dict[str, Any] = {"cell": cell, "hidden_size": 5, "num_layers": layers}
    if attention is not None:
        opts["attention"] = attention
    if arch != "one-to-many":
        opts["bidirectional"] = True
    if arch == "one-to-many":
        opts.update(num_classes=20, embed_dim=6, tgt_vocab=9, max_len=7)
    if arch == "encoder-decoder":
        opts.update(src_vocab=12, tgt_vocab=9, embed_dim=6, max_len=7)
        opts["bidirectional"] = cell != "jordan" and attention != "dot"  # one of each; dot needs equal widths
    if arch == "many-to-many":
        opts.update(vocab_size=9, embed_dim=4)
    d = template(arch, **opts)
    d.metadata.pop("task", None)  # no task: no data to build, no vocabularies
    return d


def _every_block(stacked: bool = True) -> Design:
    """All five cells in one chain (some stacked, some bidirectional), odd block ids, a dense layer, a mean."""
    d = Design(name="chain")
    d.add_node("sequence_input", {"features": 3}, (0, 0), "in-put")
    prev, port = "in-put", "out"
    for i, cell in enumerate(CELLS):
        params = {"hidden_size": 4, "num_layers": 1 + (i % 2 if stacked else 0), "bidirectional": i % 2 == 0}
        if cell == "elman":
            params["nonlinearity"] = "relu"
        if cell == "jordan":
            params["output_size"] = 3
        node = {"lstm": "values", "gru": "lambda"}.get(cell, cell)  # a ModuleDict attribute, a keyword
        d.add_node(cell, params, (100 * (i + 1), 0), node)
        d.connect(prev, port, node, "in")
        prev = node
    d.add_node("dense", {"units": 5, "activation": "gelu"}, (700, 0), "dense")
    d.connect(prev, "out", "dense", "in")
    d.add_node("mean_steps", {}, (800, 0), "mean")
    d.connect("dense", "out", "mean", "in")
    d.add_node("regressor", {"outputs": 2}, (900, 0), "head")
    d.connect("mean", "out", "head", "in")
    return d


def _decoder_with_copy_bridge() -> Design:
    """An encoder-decoder with a copied state, an Elman-ReLU decoder and layers after the decoder."""
    d = template("encoder-decoder", cell="gru", hidden_size=6, num_layers=1, bidirectional=False, src_vocab=10,
                 tgt_vocab=8, embed_dim=4, max_len=6)
    d.metadata.pop("task", None)
    d.set_param("bridge", "mode", "copy")
    d.set_param("decoder", "cell", "elman_relu")
    d.disconnect(d.incoming("head", "in")[0])
    d.add_node("dense", {"units": 7, "activation": "relu"}, (0, 300), "after")
    d.connect("decoder", "out", "after", "in")
    d.connect("after", "out", "head", "in")
    return d


PYTORCH_CASES = {f"{a}-{c}": (lambda a=a, c=c: _small(a, c)) for a in ARCHITECTURES for c in CELLS}
PYTORCH_CASES["chain"] = _every_block
PYTORCH_CASES.update({f"attention-{score}-{cell}": (lambda s=score, c=cell: _small("encoder-decoder", c, attention=s))
                      for score, cell in (("additive", "lstm"), ("dot", "gru"), ("general", "min_gru"))})
PYTORCH_CASES["copy-bridge"] = _decoder_with_copy_bridge


def _weights_of(model: Any, folder: Path, name: str) -> Path:
    """The model's own weights as a bare .safetensors checkpoint, so the export carries exactly them."""
    path = folder / f"{name}.weights.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return path


def _outside(script: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter that sees the venv's packages but not this project:
    -I -S (no site hooks, so no editable-install finder), the packages' folders added by hand,
    a working folder outside the checkout, PYTHONPATH unset."""
    paths = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    prelude = (f"import sys\nsys.path.extend({paths!r})\n"
               "try:\n    import engine\nexcept ModuleNotFoundError:\n    pass\n"
               "else:\n    raise SystemExit('engine is importable: ' + str(engine.__path__))\n")
    (folder / "outside.py").write_text(prelude + script, encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", "-S", str(folder / "outside.py"), str(folder)], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


PYTORCH_OUTSIDE = """
import importlib.util, json
from pathlib import Path
import torch
from safetensors.torch import load_file, save_file

root = Path(sys.argv[1])
for case in json.loads((root / "cases.json").read_text()):
    folder = root / case
    spec = importlib.util.spec_from_file_location("model_" + case.replace("-", "_"), folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.Model().eval()
    model.load_state_dict(load_file(str(folder / "weights.safetensors")), strict=True)
    inputs = load_file(str(root / f"{case}.inputs.safetensors"))
    out = {}
    with torch.no_grad():
        for i in range(len([k for k in inputs if k.startswith("x")])):
            x, lengths, target = inputs[f"x{i}"], inputs.get(f"lengths{i}"), inputs.get(f"target{i}")
            out[f"y{i}"] = model(x, lengths, target).contiguous()
            if hasattr(model, "generate"):
                out[f"gen{i}"] = model.generate(x, lengths).contiguous()
    save_file(out, str(root / f"{case}.outputs.safetensors"))
assert "engine" not in sys.modules
print("ran", len(json.loads((root / "cases.json").read_text())))
"""


def _imports(code: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add((node.module or "").split(".")[0])
    return found


def test_pytorch_export_runs_outside_the_project_with_the_compiled_outputs(tmp_path: Path) -> None:
    torch.manual_seed(0)
    expected: dict[str, dict[str, torch.Tensor]] = {}
    for case, build in PYTORCH_CASES.items():
        design = build()
        model = compile_design(design).eval()
        result = export_model(design, _weights_of(model, tmp_path, case), "pytorch", tmp_path / case)
        assert result.files[:2] == ["model.py", "weights.safetensors"]
        code = (tmp_path / case / "model.py").read_text(encoding="utf-8")
        assert _imports(code) <= {"__future__", "torch"}, case
        for node_id in model.order:  # the submodules carry the block ids
            block = model.block(node_id)
            if any(True for _ in block.parameters()):
                assert f'# block "{node_id}"' in code, (case, node_id)
        assert code.count("# (B") >= len(model.order) - 1, case  # a shape on every step
        inputs, want = {}, {}
        for i, (batch, time) in enumerate(SIZES):
            x, lengths = sample_inputs(model, design, batch, time, seed=10 + i)
            inputs[f"x{i}"] = x
            if lengths is not None:
                inputs[f"lengths{i}"] = lengths
            target = None
            if model.decoder_node is not None:
                target = inputs[f"target{i}"] = sample_targets(model, batch, 5, seed=i)
                with torch.no_grad():
                    want[f"gen{i}"] = model.generate(x, lengths)
            with torch.no_grad():
                want[f"y{i}"] = model(x, lengths, target)
        save_file(inputs, str(tmp_path / f"{case}.inputs.safetensors"))
        expected[case] = want
    (tmp_path / "cases.json").write_text(json.dumps(list(PYTORCH_CASES)))
    _outside(PYTORCH_OUTSIDE, tmp_path)
    for case, want in expected.items():
        got = load_file(str(tmp_path / f"{case}.outputs.safetensors"))
        assert set(got) == set(want), case
        for key, value in want.items():
            if key.startswith("gen"):
                assert torch.equal(got[key], value), (case, key)
            else:
                torch.testing.assert_close(got[key], value, atol=1e-6, rtol=0, msg=f"{case} {key}")


def test_every_built_in_cell_is_in_the_round_trips() -> None:
    from engine.export.pytorch import WRITTEN_CELLS

    built_in = {c.kind for c in BUILT_IN}
    assert built_in <= {c.kind for c in cells()}
    assert set(CELLS) == built_in == set(WRITTEN_CELLS), \
        "a new built-in cell: teach engine/export/pytorch.py to write it and add it to CELLS here"


ONNX_OUTSIDE = """
import json
from pathlib import Path
import numpy as np
import onnxruntime as ort

root = Path(sys.argv[1])
for case in json.loads((root / "cases.json").read_text()):
    folder = root / case
    manifest = json.loads((folder / "manifest.json").read_text())
    graphs = manifest["graphs"]
    sessions = {name: ort.InferenceSession(str(folder / g["file"]), providers=["CPUExecutionProvider"]) for name, g in graphs.items()}
    first = graphs.get("model", graphs.get("encoder"))
    data = np.load(root / f"{case}.inputs.npz")
    out = {}
    for i in range(len([k for k in data.files if k.startswith("x")])):
        feed = {"x": data[f"x{i}"]}
        if any(inp["name"] == "lengths" for inp in first["inputs"]):
            feed["lengths"] = data[f"lengths{i}"]
        if "model" in sessions:
            out[f"y{i}"] = sessions["model"].run(None, feed)[0]
            continue
        state = dict(zip([o["name"] for o in graphs["encoder"]["outputs"]], sessions["encoder"].run(None, feed)))
        out[f"state{i}"] = state[graphs["encoder"]["outputs"][0]["name"]]
        special = manifest["special_tokens"]
        B = feed["x"].shape[0]
        tok = np.full((B,), special["bos"], dtype=np.int64)
        step_in = [inp["name"] for inp in graphs["decoder_step"]["inputs"]][1:]
        step_out = [o["name"] for o in graphs["decoder_step"]["outputs"]]
        tokens, done = [], np.zeros(B, dtype=bool)
        for t in range(manifest["decoding"]["max_len"]):
            res = sessions["decoder_step"].run(None, {"tokens": tok, **{n: state[n] for n in step_in}})
            log_probs = res[0]
            state.update({name[len("next_"):]: value for name, value in zip(step_out[1:], res[1:])})
            log_probs[:, [special["pad"], special["bos"]]] = -np.inf
            tok = log_probs.argmax(-1).astype(np.int64)
            tokens.append(np.where(done, special["pad"], tok))
            done |= tok == special["eos"]
            if done.all():
                break
        out[f"gen{i}"] = np.stack(tokens, 1)
    np.savez(root / f"{case}.outputs.npz", **out)
assert "engine" not in sys.modules
print("ran")
"""

ONNX_CASES = {
    # every cell kind in one graph (three bidirectional); stacked layers in the tagger and the generator;
    # the encoder-decoder attends (its memory and mask go to every decoder step)
    "chain": lambda: _every_block(stacked=False),
    "tagger": lambda: _small("many-to-many", "min_gru"),
    "encoder-decoder": lambda: _small("encoder-decoder", "lstm", layers=1, attention="additive"),
    "one-to-many": lambda: _small("one-to-many", "jordan"),
}


def test_onnx_export_runs_in_onnxruntime_at_several_sizes_and_decodes_like_the_model(tmp_path: Path) -> None:
    import numpy as np

    torch.manual_seed(1)
    expected = {}
    for case, build in ONNX_CASES.items():
        design = build()
        model = compile_design(design).eval()
        result = export_model(design, _weights_of(model, tmp_path, case), "onnx", tmp_path / case)
        names = {"model.onnx"} if model.decoder_node is None else {"encoder.onnx", "decoder_step.onnx"}
        assert set(result.files) == names | {"manifest.json"}
        assert len(result.checks) >= 2  # checked at two sizes before writing
        manifest = json.loads((tmp_path / case / "manifest.json").read_text())
        assert manifest["architecture"] == model.architecture
        inputs, want = {}, {}
        for i, (batch, time) in enumerate(((2, 4), (5, 9))):
            x, lengths = sample_inputs(model, design, batch, time, seed=20 + i)
            inputs[f"x{i}"] = x.numpy()
            if lengths is not None:
                inputs[f"lengths{i}"] = lengths.numpy()
            with torch.no_grad():
                if model.decoder_node is None:
                    want[f"y{i}"] = model(x, lengths).numpy()
                else:
                    state, _ = model.decode_init(x, lengths)
                    want[f"state{i}"] = state[model.decoder_node][0].numpy()
                    want[f"gen{i}"] = model.generate(x, lengths).numpy()
        np.savez(tmp_path / f"{case}.inputs.npz", **inputs)
        expected[case] = want
    (tmp_path / "cases.json").write_text(json.dumps(list(ONNX_CASES)))
    _outside(ONNX_OUTSIDE, tmp_path)
    for case, want in expected.items():
        got = np.load(tmp_path / f"{case}.outputs.npz")
        for key, value in want.items():
            if key.startswith("gen"):
                assert got[key].shape == value.shape and (got[key] == value).all(), (case, key)
            else:
                np.testing.assert_allclose(got[key], value, atol=1e-5, rtol=0, err_msg=f"{case} {key}")


def test_a_registered_cell_the_code_writer_does_not_know_is_refused_as_code_but_exports_to_onnx(tmp_path: Path) -> None:
    from sixth_cell import KIND, keep_cell_registered

    with keep_cell_registered():
        d = template("many-to-one", cell=KIND, hidden_size=4)
        d.metadata.pop("task", None)
        with pytest.raises(ExportError, match=rf'block "{KIND}" runs the cell "{KIND}".*cannot write'):
            export_model(d, None, "pytorch", tmp_path / "out")
        assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []
        # the ONNX graph runs the cell's own step hook from the registry, checked in onnxruntime
        result = export_model(d, None, "onnx", tmp_path / "graph")
    assert result.files == ["model.onnx", "manifest.json"] and len(result.checks) == 2


def test_a_missing_onnx_package_is_named_with_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # as if not installed: importing it raises ImportError
    with pytest.raises(ExportError, match=r"onnxscript.*pip install 'rnn-designer\[export\]'"):
        export_model(_small("many-to-one", "gru"), None, "onnx", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_exports_a_trained_checkpoint_and_refuses_one_of_another_design(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    design = _small("many-to-one", "lstm")
    path = tmp_path / "design.rnnd"
    save_design(design, path)
    model = compile_design(design)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.25)  # "trained": not the weights a fresh compile gives
    save_checkpoint(tmp_path / "run" / "latest", model, design=design, step=7)
    rc = cli_main(["export", str(path), "--checkpoint", str(tmp_path / "run"), "--format", "pytorch",
                   "--out", str(tmp_path / "code")])
    assert rc == 0, capsys.readouterr().err
    assert "model.py, weights.safetensors" in capsys.readouterr().out
    weights = load_file(str(tmp_path / "code" / "weights.safetensors"))
    torch.testing.assert_close(weights["head.weight"], model.block("head").linear.weight.detach())
    assert "step 7" in (tmp_path / "code" / "model.py").read_text(encoding="utf-8")

    other = _small("many-to-one", "gru")
    save_design(other, tmp_path / "other.rnnd")
    rc = cli_main(["export", str(tmp_path / "other.rnnd"), "--checkpoint", str(tmp_path / "run"), "--format", "onnx",
                   "--out", str(tmp_path / "nothing")])
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("error:") and "Traceback" not in err
    assert not (tmp_path / "nothing").exists()


def test_an_out_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("mine")
    with pytest.raises(ExportError, match="is not a folder"):
        export_model(_small("many-to-one", "gru"), None, "pytorch", tmp_path / "taken")
    assert (tmp_path / "taken").read_text() == "mine"


def test_the_task_vocabularies_travel_with_the_export(tmp_path: Path) -> None:
    design = template("many-to-many", cell="gru", hidden_size=4)  # the Reber task: symbols in, symbols out
    result = export_model(design, None, "pytorch", tmp_path / "code")
    assert "vocab.json" in result.files
    vocab = json.loads((tmp_path / "code" / "vocab.json").read_text(encoding="utf-8"))
    assert vocab["source"]["tokens"][:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert len(vocab["source"]["tokens"]) == design.nodes["input"].params["vocab_size"]
