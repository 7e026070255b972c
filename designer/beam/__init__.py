"""The beam explorer: step through beam search on a trained decoder, on a tree that grows.

One idea per file: :mod:`.layout` (where tree nodes go, networkx, no Qt), :mod:`.tree_items`
(a node and an edge), :mod:`.scene` (the scene mirroring the engine's tree), :mod:`.view` (zoom,
pan, fit, click to force), :mod:`.ranking` (the current beam and the n-best list),
:mod:`.controls` (source and settings), :mod:`.model_source` (the decoder and its vocabularies),
:mod:`.labels` (zoom-proof labels of the chosen path and the beam), :mod:`.toolbar` (the actions'
row and the stale-model note), :mod:`.summary` (the status line and the greedy comparison),
:mod:`.export` (PNG, SVG, JSON, DOT), :mod:`.panel` (all of it together); sizes and colours
in :mod:`.style`.

The window gets the panel as :class:`~designer.beam.dock.BeamDock` (a :class:`designer.panels.Panel`);
the training panel hands it each trained model through :meth:`BeamPanel.set_trained`.
"""
from __future__ import annotations

from .dock import BeamDock
from .panel import SHORTCUTS, BeamPanel

__all__ = ["BeamDock", "BeamPanel", "SHORTCUTS"]
