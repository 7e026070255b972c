"""What the probe pages of the training panel show: the newest probe trace, for the block, layer,
direction and sequence the probe picker names, cut to that sequence's own steps and labelled with
its tokens — on the Gates, Cell & hidden state, Gradient flow or Attention page."""
from __future__ import annotations

from typing import Any

import numpy as np


def valid_length(steps: np.ndarray) -> int:
    """How many leading steps of a (T, units) probe array hold values (NaN past a sequence's end)."""
    finite = np.flatnonzero(np.isfinite(steps).any(axis=-1))
    return int(finite[-1]) + 1 if finite.size else max(1, steps.shape[0])


def show_probe_page(panel: Any, page: str) -> None:
    """Draw ``page`` ("gates", "states", "gradients" or "attention") of the TrainingPanel ``panel``."""
    trace = panel.history.trace
    key = panel.picker.key
    if trace is None or key is None:
        return
    block, layer, direction = key
    arrays = trace.get(block, {}).get(layer, {}).get(direction)
    if arrays is None:
        return
    n = next(iter(arrays.values())).shape[0]
    seq = min(panel.picker.sequence_index, n - 1)
    design = panel._run_design or panel.document.design
    node = design.nodes.get(block)
    decoder = node is not None and node.kind == "decoder"
    length = valid_length(arrays["h"][seq])  # the sequence's own steps, not the batch's padding
    arrays = {name: a[:, :length] for name, a in arrays.items()}
    inputs = panel.probe_inputs
    labels = inputs.labels(seq, decoder, length) if inputs else [str(t) for t in range(length)]
    describe = (lambda t: inputs.describe_step(seq, decoder, t)) if inputs else None
    emphasis = inputs.emphasis(seq, decoder) if inputs else set()
    steps = panel.history.probe_steps()
    if page == "gates":
        panel.gate_plot.show_probe(arrays, seq, labels, describe, emphasis)
        panel.gate_plot.show_means(steps, {g: panel.history.gate_means(key, g) for g in panel.gate_plot.gated()})
    elif page == "states":
        panel.state_plot.show_probe(arrays, seq, labels, describe, emphasis)
    elif page == "gradients" and "grad_norm" in arrays:
        panel.gradient_plot.show_latest(arrays["grad_norm"], seq, labels)
        panel.gradient_plot.show_history(steps, panel.history.grad_norm_image(key)[:, :length], labels, describe)
    elif page == "attention":
        panel.plot_tabs.set_page_visible("attention", panel.attention_plot.show_probe(trace, seq, inputs, panel.history))
    panel.probe_step.setText(f"step {panel.history.trace_step}")
