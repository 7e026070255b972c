"""The tree stays readable at beam width 10 and length 30: a layered layout where nothing overlaps,
edges never cross, a step never moves what is already drawn, and zoom/fit show all of it.
On the engine's small random decoder (no training needed)."""
from __future__ import annotations

import pytest
import torch

from designer.beam import style
from designer.beam.layout import layered_layout
from designer.beam.scene import BeamTreeScene
from designer.beam.view import BeamTreeView
from engine.beam import BeamSearch
from engine.beam.toy import ToyDecoder


def long_search(width: int = 10, max_len: int = 30, candidates: int = 3) -> BeamSearch:
    """A search that goes the whole length: <eos> is made unlikely."""
    model = ToyDecoder(vocab_size=16, src_vocab=10, hidden=16, max_len=max_len, seed=3, eos_bias=-4.0).eval()
    return BeamSearch(model, torch.tensor([4, 5, 6, 7]), beam_width=width, max_len=max_len, keep_pruned=candidates)


def heights(search: BeamSearch):  # noqa: ANN201
    nodes = search.tree.nodes
    return lambda n: style.KEPT_HEIGHT if (nodes[n]["kept"] or nodes[n]["parent"] is None) else style.PRUNED_HEIGHT


def test_width_10_length_30_nothing_overlaps_and_edges_never_cross():
    search = long_search()
    search.run()
    tree = search.tree
    assert search.depth == 30 and tree.number_of_nodes() > 600
    h = heights(search)
    layout = layered_layout(tree, search.root, style.COLUMN_PITCH, h)
    assert len(layout.positions) == tree.number_of_nodes()
    assert layout.depth == 30
    for depth, column in enumerate(layout.columns):
        assert all(tree.nodes[n]["depth"] == depth for n in column)  # one column per generated token
        assert all(layout.positions[n][0] == depth * style.COLUMN_PITCH for n in column)
        ys = [layout.positions[n][1] for n in column]
        for a, b, y0, y1 in zip(column, column[1:], ys, ys[1:]):  # top to bottom, clear of each other
            assert y1 - y0 >= (h(a) + h(b)) / 2 - 1e-6
        if depth:  # children follow their parents' order: no two edges cross
            parent_rank = {p: i for i, p in enumerate(layout.columns[depth - 1])}
            ranks = [parent_rank[tree.nodes[n]["parent"]] for n in column]
            assert ranks == sorted(ranks)
    # the height stays in proportion to the width: about one beam of rejected candidates per column
    width = layout.depth * style.COLUMN_PITCH
    assert layout.bottom - layout.top < 1.5 * width


def test_a_step_never_moves_what_is_drawn():
    search = long_search(width=6, max_len=12)
    before = None
    for _ in range(8):
        search.step()
        layout = layered_layout(search.tree, search.root, style.COLUMN_PITCH, heights(search))
        if before is not None:
            for node, pos in before.items():
                assert layout.positions[node] == pytest.approx(pos)
        before = layout.positions


def test_chosen_hypotheses_stay_level_with_their_parent():
    search = long_search(width=1, max_len=10, candidates=4)
    search.run()
    layout = layered_layout(search.tree, search.root, style.COLUMN_PITCH, heights(search),
                            weight=lambda n: 6.0 if search.tree.nodes[n]["kept"] else 1.0)
    line = [search.root] + [search.node_of(search.results[0].tokens[:k]) for k in range(1, 11)]
    ys = [layout.positions[n][1] for n in line]
    assert max(ys) - min(ys) < style.KEPT_HEIGHT  # greedy's line runs straight across


def test_scene_has_one_item_per_node_and_the_view_fits_and_zooms(qtbot):
    search = long_search()
    search.run()
    scene = BeamTreeScene()
    scene.animation_ms = 0
    view = BeamTreeView(scene)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    added = scene.show_search(search)
    assert sorted(added) == sorted(search.tree.nodes) == sorted(scene.nodes)
    rect = scene.sceneRect()
    for item in scene.nodes.values():
        assert rect.contains(item.sceneBoundingRect())
    view.fit_all()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.adjusted(-2, -2, 2, 2).contains(rect)
    assert view.fitted
    view.zoom_in()
    assert not view.fitted and view.zoom == pytest.approx(view.transform().m11())
    for _ in range(80):
        view.zoom_in()
    assert view.zoom == pytest.approx(style.ZOOM_MAX)
    view.reset_zoom()
    assert view.zoom == 1.0
    search.reset()  # Back to the root: items of the nodes that are gone go away
    scene.show_search(search)
    assert list(scene.nodes) == [search.root]
