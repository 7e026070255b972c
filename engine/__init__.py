"""RNN Designer's engine: design documents, checks, the compiler to PyTorch, training and beam search.

The scripting API::

    from engine import load_design, check_design, compile_design, save_design, template

    design = template("encoder-decoder", cell="lstm", hidden_size=128)
    report = check_design(design)          # shapes, parameter counts, architecture, problems
    model = compile_design(design)         # a torch.nn.Module
    save_design(design, "dates.rnnd")

``engine`` never imports Qt. torch is imported only when something needs it (``compile_design``),
so checking a design stays fast.
"""
from __future__ import annotations

from typing import Any

from engine.document.design import Design
from engine.document.design_file import load_design, save_design
from engine.document.templates import template
from engine.errors import CompileError, DesignerError, DesignError, DesignFileError
from engine.model.check import check_design
from engine.model.graph import CheckReport

__all__ = ["Design", "load_design", "save_design", "check_design", "CheckReport", "compile_design", "template",
           "probe", "BeamSearch", "beam_search", "greedy_search", "DesignerError", "DesignError", "DesignFileError", "CompileError"]


def compile_design(design: Design, report: CheckReport | None = None) -> Any:
    """Check ``design`` and build its ``torch.nn.Module`` (see :mod:`engine.model.compiler`)."""
    from engine.model.compiler import compile_design as _compile

    return _compile(design, report)


def __getattr__(name: str) -> Any:
    """Beam search loads torch, so it is imported on first use: ``engine.BeamSearch``, ``engine.beam_search``."""
    if name in ("BeamSearch", "beam_search", "greedy_search"):
        from engine import beam

        return getattr(beam, name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


def probe(model: Any, batch: Any, **options: Any) -> Any:
    """Gates, cell state and gradient flow of every recurrent block on ``batch`` (see :mod:`engine.training.probes`)."""
    from engine.training.probes import probe as _probe

    return _probe(model, batch, **options)
