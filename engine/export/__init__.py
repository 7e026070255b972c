"""Trained models out of the app: standalone PyTorch code (``model.py`` + ``weights.safetensors``)
and ONNX graphs checked in onnxruntime. :func:`export_model` is what ``rnn-designer export`` and
the window's File ▸ Export Model… call."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from engine.export.common import FORMATS, Exported, ExportError, refuse_unknown_blocks, vocabularies_of

__all__ = ["FORMATS", "Exported", "ExportError", "export_model", "load_trained"]

log = logging.getLogger(__name__)


def load_trained(design: Any, checkpoint: str | Path | None) -> tuple[Any, dict[str, Any]]:
    """The compiled model of ``design`` with the weights of ``checkpoint`` (a run folder, a checkpoint
    or a bare .safetensors); None keeps the untrained weights, with a warning. Returns (model, sidecar)."""
    from engine.model.compiler import compile_design
    from engine.training.restore import load_weights

    model = compile_design(design)
    meta: dict[str, Any] = {}
    if checkpoint:
        meta = load_weights(model, str(checkpoint), design)
    else:
        log.warning("no checkpoint given; exporting the untrained (random) weights")
    return model.eval(), meta


def export_model(design: Any, checkpoint: str | Path | None, format: str, out: str | Path) -> Exported:
    """Export ``design`` with the trained weights of ``checkpoint`` as ``format`` ("pytorch" or
    "onnx") into the folder ``out``. Every refusal (a block or cell the format cannot write, a
    missing package, weights that do not fit) is an :class:`ExportError` or another
    ``DesignerError`` raised before anything is written."""
    if format not in FORMATS:
        raise ExportError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    if format == "onnx":
        from engine.export.onnx import require_packages

        require_packages()  # before the slow part: say what to install first
    model, meta = load_trained(design, checkpoint)
    refuse_unknown_blocks(model, design, "PyTorch" if format == "pytorch" else "ONNX")
    vocabs = vocabularies_of(design, meta)
    source = f"checkpoint {Path(checkpoint).name}" if checkpoint else "untrained weights"
    if format == "pytorch":
        from engine.export.pytorch import export_pytorch
        from engine.resources import package_version

        step = f", step {meta['step']}" if meta.get("step") else ""
        note = f"RNN Designer {package_version()} from {source}{step}"
        return export_pytorch(model, design, out, note, vocabs)
    from engine.export.onnx import export_onnx

    return export_onnx(model, design, out, vocabs, str(checkpoint) if checkpoint else None)
