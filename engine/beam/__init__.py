"""Beam search over compiled decoders: batched (:func:`beam_search`), greedy (:func:`greedy_search`)
and step by step with its whole search tree (:class:`BeamSearch`). See :mod:`engine.beam.core` for
how the search goes and :mod:`engine.beam.search` for the tree's node attributes."""
from __future__ import annotations

from engine.beam.core import DEFAULT_BANNED, Hypothesis, SearchSettings, beam_search, greedy_search, make_settings
from engine.beam.export import save_tree, tree_to_dict, tree_to_dot
from engine.beam.search import BeamSearch

__all__ = ["BeamSearch", "Hypothesis", "SearchSettings", "beam_search", "greedy_search", "make_settings",
           "DEFAULT_BANNED", "save_tree", "tree_to_dict", "tree_to_dot"]
