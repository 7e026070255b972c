"""The designer window (PySide6): build an RNN by dragging blocks and wiring ports.

- :mod:`designer.app` — ``main(argv)`` (the GUI entry point) and ``render_offscreen``;
- :mod:`designer.main_window` — the window: docks, menus, files, editing actions, ``add_panel``;
- :mod:`designer.document` — the open design, its file, undo stack and last check report;
- :mod:`designer.commands` — one ``QUndoCommand`` per user action, calling only ``Design`` methods;
- :mod:`designer.canvas` — the scene that mirrors the document, the view, and the items;
- :mod:`designer.palette`, :mod:`designer.inspector`, :mod:`designer.problems`,
  :mod:`designer.quick_add`, :mod:`designer.clipboard` — the widgets around the canvas.

Nothing here imports torch at start; the training and beam panels load it when they run.
"""
