"""What a test left running in Qt: QThreads still running and QTimers still active (tests/conftest.py
fails a test that leaves any)."""
from __future__ import annotations

import gc
import sys


def qt_leftovers(stop: bool = True) -> list[str]:
    """The QThreads still running and the QTimers still active, described (empty: none); with
    ``stop``, they are stopped too, so the next test is not blamed for them."""
    if "PySide6.QtCore" not in sys.modules:
        return []
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, QTimer

    app = QCoreApplication.instance()
    if app is None:
        return []
    for _ in range(3):  # let deleteLater() and queued stops land first
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
    found: dict[int, QObject] = {}
    for obj in gc.get_objects():
        if issubclass(type(obj), (QTimer, QThread)):  # type(): never a module's lazy __class__
            found[id(obj)] = obj
    roots = [app, *(app.topLevelWidgets() if hasattr(app, "topLevelWidgets") else [])]
    for root in roots:
        for kind in (QTimer, QThread):
            for obj in root.findChildren(kind):
                found[id(obj)] = obj
    main = shiboken6.getCppPointer(app.thread())[0]
    leftovers = []
    for obj in list(found.values()):
        if not shiboken6.isValid(obj):
            continue
        parent = obj.parent()
        owner = f" in {type(parent).__name__}({parent.objectName() or '?'})" if parent is not None else ""
        name = f"{type(obj).__name__} {obj.objectName() or '(unnamed)'}{owner}"
        if isinstance(obj, QThread):
            if obj.isRunning() and shiboken6.getCppPointer(obj)[0] != main:
                leftovers.append(f"{name} still running")
                if stop:
                    obj.quit()
                    obj.wait(2000)
        elif obj.isActive():
            leftovers.append(f"{name} still active ({'single shot, ' if obj.isSingleShot() else ''}"
                             f"every {obj.interval()} ms)")
            if stop:
                obj.stop()
    return sorted(leftovers)
