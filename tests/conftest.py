"""Shared test setup: every Qt test runs offscreen, with no real screen needed, and every test keeps
the app's data (``engine.appdirs.app_data_dir``) in a folder of its own, never in the real home."""
import os
import tempfile

import pytest

# before any Qt import anywhere in the suite
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# before any test or session fixture: subprocesses and session fixtures inherit it
os.environ["RNN_DESIGNER_DATA_DIR"] = tempfile.mkdtemp(prefix="rnn-designer-test-data-")


@pytest.fixture(autouse=True)
def _app_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets an empty app-data folder (autosave, recovery files)."""
    monkeypatch.setenv("RNN_DESIGNER_DATA_DIR", str(tmp_path_factory.mktemp("app-data")))


@pytest.fixture(autouse=True)
def _no_qt_threads_or_timers_left(request: pytest.FixtureRequest):  # noqa: ANN201
    """Fail a test that leaves a QThread running or a QTimer active: every thread and timer a test
    starts is stopped (and a thread waited for) by the time it ends (ARCHITECTURE.md, Habits)."""
    yield
    uses_qt = bool({"qtbot", "qapp"} & set(request.fixturenames)) or "designer" in request.node.path.parts
    if not uses_qt:  # engine tests: no Qt objects to look for (and the scan costs a tenth of a second)
        return
    from qt_leftovers import qt_leftovers  # tests/qt_leftovers.py

    leftovers = qt_leftovers()
    if leftovers:
        pytest.fail(f"{request.node.nodeid} left Qt threads or timers behind:\n  " + "\n  ".join(leftovers),
                    pytrace=False)
