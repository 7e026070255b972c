"""The check every PyTorch export passes before it is written: the exported ``model.py`` imported
under a private name, loaded with its weights (strict) and compared with the compiled model at
two batch sizes and lengths (atol 1e-6), ``generate`` token for token."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from torch import nn

from engine.export.common import ExportError, sample_inputs, sample_targets
from engine.model.compiler import CompiledModel

ATOL = 1e-6


def load_exported(folder: Path) -> nn.Module:
    """Import ``folder/model.py`` under a private name and load its weights (strict)."""
    from safetensors.torch import load_file

    name = f"_rnn_designer_export_{abs(hash(str(folder)))}"
    spec = importlib.util.spec_from_file_location(name, folder / "model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        exported = module.Model().eval()
        exported.load_state_dict(load_file(str(folder / "weights.safetensors")), strict=True)
    finally:
        sys.modules.pop(name, None)
    return exported


def verify(folder: Path, model: CompiledModel, design: Any) -> list[str]:
    """The exported code against the compiled model, at two batch sizes and lengths."""
    import torch

    try:
        exported = load_exported(folder)
    except Exception as exc:  # the written code itself is wrong: a bug
        raise ExportError(f"the exported model.py does not load ({type(exc).__name__}: {exc}); please report this") from exc
    checks = []
    for batch, time in ((1, 1), (3, 6)):
        x, lengths = sample_inputs(model, design, batch, time, seed=batch + time)
        target = sample_targets(model, batch, 4) if model.decoder_node is not None else None
        with torch.no_grad():
            want, got = model(x, lengths, target), exported(x, lengths, target)
            if want.shape != got.shape or not torch.allclose(want, got, atol=ATOL, rtol=0):
                raise ExportError(f"the exported model differs from the compiled one at batch {batch}; please report this")
            if model.decoder_node is not None and not torch.equal(model.generate(x, lengths), exported.generate(x, lengths)):
                raise ExportError("the exported generate() gives other tokens than the compiled model; please report this")
        checks.append(f"model.py equals the model at batch {batch}, {time} step(s) (atol {ATOL:g})"
                      + ("; generate() gives the same tokens" if model.decoder_node is not None else ""))
    return checks
