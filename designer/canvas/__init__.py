"""The canvas: a QGraphicsScene that mirrors the design document, and the view that shows it.

One class per file: :mod:`.scene`, :mod:`.view`, :mod:`.node_item`, :mod:`.port_item`,
:mod:`.edge_item`, :mod:`.wire_item`, :mod:`.toast_item`; sizes, colours and z-values live in
:mod:`.style`.
"""
