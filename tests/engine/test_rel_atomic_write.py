"""The one atomic writer: permissions kept, symlinks written through, no temporary file left by a
failed or killed write, the old file intact (issue 14, "Saves")."""
from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from engine.document.design_file import load_design, save_design
from engine.document.templates import template
from engine.errors import DesignFileError
from engine.files import TEMP_SUFFIX, atomic_write, clean_stale_temp_files, os_error_message


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_save_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "d.rnnd"
    save_design(template("many-to-one"), target)
    os.chmod(target, 0o644)
    save_design(template("many-to-many"), target)
    assert _mode(target) == 0o644
    os.chmod(target, 0o640)
    atomic_write(target, "x")
    assert _mode(target) == 0o640


def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        save_design(template("many-to-one"), tmp_path / "new.rnnd")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.rnnd") == 0o644


def test_saving_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "store" / "real.rnnd"
    real.parent.mkdir()
    save_design(template("many-to-one"), real)
    link = tmp_path / "link.rnnd"
    link.symlink_to(real)
    save_design(template("encoder-decoder"), link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert load_design(real).to_dict() == template("encoder-decoder").to_dict()
    assert not list(tmp_path.glob(f"*{TEMP_SUFFIX}")) and not list(real.parent.glob(f"*{TEMP_SUFFIX}"))


def test_a_failed_save_leaves_no_temp_file_and_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "d.rnnd"
    save_design(template("many-to-one"), target)
    before = target.read_bytes()
    d = template("many-to-one")
    d.set_name("bad \ud800 name")  # a lone surrogate: no UTF-8 file can hold it
    with pytest.raises(DesignFileError, match=r"name: holds a lone surrogate"):
        save_design(d, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.rnnd"]

    def broken_writer(tmp: str) -> None:
        Path(tmp).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        atomic_write(target, broken_writer)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.rnnd"]


def test_temp_files_of_a_killed_writer_are_cleaned_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "d.rnnd"
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(child.stdout)  # that process has exited: its temp file is stale
    stale = tmp_path / f".d.rnnd.{dead_pid}.abc123{TEMP_SUFFIX}"
    stale.write_bytes(b"\0" * 1000)
    unrelated = tmp_path / ".d.rnnd.notours"
    unrelated.write_text("keep me")
    mine = tmp_path / f".d.rnnd.{os.getpid()}.xyz{TEMP_SUFFIX}"  # a write of this process still under way
    mine.write_text("in flight")
    save_design(template("many-to-one"), target)
    assert not stale.exists()
    assert unrelated.exists() and mine.exists()
    assert clean_stale_temp_files(target) == []


def test_an_unwritable_folder_is_named_with_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.files

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(engine.files.tempfile, "mkstemp", read_only)
    with pytest.raises(DesignFileError, match=r"ro/d.rnnd: cannot be written: the folder .*ro is not writable "
                                              r"\(the file system is read-only\); choose another folder"):
        save_design(template("many-to-one"), tmp_path / "ro" / "d.rnnd")
    monkeypatch.undo()
    full = os_error_message(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "runs" / "x.json")
    assert "the disk is full" in full and "runs" in full and "free some space" in full
    file_as_folder = tmp_path / "plain"
    file_as_folder.write_text("x")
    with pytest.raises(DesignFileError, match="choose a folder, not a file"):
        save_design(template("many-to-one"), file_as_folder / "d.rnnd")


def test_files_written_together_are_renamed_together_or_not_at_all(tmp_path: Path) -> None:
    from engine.files import atomic_write_many

    a, b = tmp_path / "w.safetensors", tmp_path / "w.json"
    atomic_write_many([(a, b"old weights"), (b, "old sidecar")])
    os.chmod(a, 0o644)
    with pytest.raises(UnicodeEncodeError):
        atomic_write_many([(a, b"new weights"), (b, "bad \ud800")])
    assert a.read_bytes() == b"old weights" and b.read_text() == "old sidecar"  # neither was renamed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.json", "w.safetensors"]
    atomic_write_many([(a, b"new weights"), (b, "new sidecar")])
    assert a.read_bytes() == b"new weights" and b.read_text() == "new sidecar" and _mode(a) == 0o644
