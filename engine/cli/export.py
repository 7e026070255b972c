"""``rnn-designer export DESIGN --checkpoint RUN --format pytorch|onnx --out PATH``: parsing and printing
only; the export itself is :func:`engine.export.export_model`."""
from __future__ import annotations

import argparse
from typing import Any

FORMATS = ("pytorch", "onnx")  # engine.export.FORMATS, repeated so --help needs no torch


def add_export_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "export", help="export a trained model: standalone PyTorch code, or ONNX graphs",
        description="Export a design with its trained weights. pytorch: PATH/model.py (imports only torch) and "
                    "PATH/weights.safetensors. onnx: PATH/model.onnx, or encoder.onnx and decoder_step.onnx for a "
                    "decoder, and PATH/manifest.json (needs the [export] extra). Each export is checked against the "
                    "model before it is written; what a format cannot express is refused and nothing is written.")
    p.add_argument("design", help="a design file (.rnnd)")
    p.add_argument("--checkpoint", "-c", metavar="RUN",
                   help="trained weights: a run folder (its latest checkpoint), a checkpoint NAME.safetensors written by "
                        "'rnn-designer train', or a bare .safetensors state_dict; without it the untrained weights are "
                        "exported, with a warning")
    p.add_argument("--format", "-f", choices=FORMATS, required=True, help="pytorch or onnx")
    p.add_argument("--out", "-o", metavar="PATH", required=True,
                   help="the folder to write into (created if needed; other files in it are kept)")
    p.set_defaults(func=run_export)
    return p


def run_export(args: argparse.Namespace) -> int:
    from engine.document.design_file import load_design
    from engine.export import export_model

    design = load_design(args.design)
    result = export_model(design, args.checkpoint, args.format, args.out)
    if not getattr(args, "quiet", False):
        print(result.summary())
    else:
        print(result.folder)
    return 0
