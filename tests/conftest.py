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
