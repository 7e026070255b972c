"""Is the model small enough to train here? A warning above a parameter budget, an error when its
weights, gradients and optimizer state cannot fit the memory of this machine — both with the
numbers, pointing at the node holding most of the parameters.

A design at the catalog's maxima has 15 billion parameters: it checked "clean" and then died
allocating at the first step. Memory is estimated, not measured: 16 bytes a parameter (fp32
weights, their gradients and Adam's two moments), activations on top.
"""
from __future__ import annotations

import os
import sys

from engine.model.report import CheckReport, Problem

PARAM_BUDGET = 100_000_000  # above this, training an RNN on one machine is slow: warn
BYTES_PER_PARAM = 16  # weights + gradients + Adam's first and second moments, fp32


def machine_memory() -> tuple[int, str] | None:
    """(bytes, what) of the largest memory a run here may train in: a CUDA device's when torch is
    loaded and has one, else this machine's RAM; None when it cannot be told."""
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_available():
                return int(torch.cuda.get_device_properties(0).total_memory), "the GPU's"
        except Exception:  # noqa: BLE001 - a broken driver: fall back to the RAM
            pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")), "this machine's"
    except (ValueError, OSError, AttributeError):
        return None


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n < 1e11 else f"{n / 1e9:,.0f} GB"


def check_model_size(report: CheckReport, memory: tuple[int, str] | None = None) -> None:
    """Add a size warning or a memory error to ``report`` (``memory``: for tests; default: measured)."""
    total = report.total_params
    if total <= PARAM_BUDGET or not report.param_counts:
        return
    biggest = max(report.param_counts, key=report.param_counts.get)
    share = f'{report.param_counts[biggest]:,} of them in "{biggest}"'
    need = total * BYTES_PER_PARAM
    memory = memory or machine_memory()
    if memory is not None and need > memory[0]:
        report.problems.append(Problem(
            f"the model has {total:,} parameters ({share}): training needs at least {_gb(need)} (weights, gradients "
            f"and Adam's two moments, 4 bytes each), more than {memory[1]} {_gb(memory[0])} of memory; make hidden "
            "sizes, layers or vocabularies smaller", biggest))
        return
    report.problems.append(Problem(
        f"the model has {total:,} parameters ({share}), more than {PARAM_BUDGET:,}: training needs about "
        f"{_gb(need)} of memory and will be slow; smaller hidden sizes or vocabularies train faster",
        biggest, severity="warning"))
