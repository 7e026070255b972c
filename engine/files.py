"""Writing a file so that a crash, a full disk or a bad character never loses the old one.

:func:`atomic_write` is the one way the engine writes a user's file (designs, checkpoints and
their sidecars): the new content goes to a temporary file in the same folder, is flushed to disk
(``fsync``) and renamed over the target in one step, so a reader sees the old file or the new
one, never half of either. It keeps what a user set up around the file:

- the file's permission bits (a 0644 design stays 0644; a new file gets the usual umask mode);
- a symbolic link stays a link: the file it points to is the one replaced;
- a failed write (an unencodable character, a full disk, a killed process) leaves the old file
  as it was and no temporary file behind — and temporary files of our own naming left by a
  process that was killed (a SIGKILL runs no clean-up) are removed by the next write beside them.

:func:`os_error_message` turns an ``OSError`` into the words a user needs: which folder, why
(read-only, full, missing, not a folder) and what to do.
"""
from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TEMP_SUFFIX = ".rnnd-tmp"  # every temporary file we make ends with this
STALE_AFTER_S = 3600.0  # a temporary file of a living process older than this is stale as well

Writer = Callable[[str], None]  # writes the content to the path it is given


def target_of(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` must replace: ``path`` itself, or where its symlinks lead."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def _temp_name(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: leave its file alone
    return True


def clean_stale_temp_files(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files earlier writes of ``target`` left behind (their process died,
    or they are older than an hour); returns what was removed. Other files are never touched."""
    target = Path(target)
    removed: list[Path] = []
    prefix = f".{target.name}."
    try:
        entries = list(os.scandir(target.parent if str(target.parent) else "."))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        middle = name[len(prefix):-len(TEMP_SUFFIX)]
        pid_text, _, _ = middle.partition(".")
        try:
            pid = int(pid_text)
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except (ValueError, OSError):
            continue
        if pid == os.getpid() or (_pid_alive(pid) and age < STALE_AFTER_S):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], content: bytes | str | Writer, *, encoding: str = "utf-8",
                 durable: bool = True) -> Path:
    """Replace ``path`` with ``content`` (bytes, text, or a function writing to the path it is
    given) all at once; returns the file written (a symlink's target). Raises ``OSError`` (see
    :func:`os_error_message`) or, for text, ``UnicodeEncodeError`` before anything is touched.
    ``durable=False`` skips the ``fsync`` calls: still all-or-nothing for readers, but a power cut
    may lose the newest content — for files rewritten many times a second (a run's live trace)."""
    data = content.encode(encoding) if isinstance(content, str) else content
    target = target_of(path)
    folder = target.parent if str(target.parent) else Path(".")
    clean_stale_temp_files(target)
    mode = _mode_for(target)
    fd, tmp = tempfile.mkstemp(prefix=_temp_name(target), suffix=TEMP_SUFFIX, dir=folder)
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                if durable:
                    os.fsync(fh.fileno())
        else:
            os.close(fd)
            data(tmp)
            if durable:
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_folder(folder)
    return target


def atomic_write_many(items: list[tuple[str | os.PathLike[str], bytes | str]], *, encoding: str = "utf-8") -> list[Path]:
    """Replace several files that belong together (a checkpoint's weights and its sidecar): every
    temporary file is written and flushed first, then they are renamed one right after the other,
    so a crash leaves the old set or the new one — but for the microseconds between two renames.
    Raises like :func:`atomic_write`; on failure no temporary file is left and nothing was renamed."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, content in items:
            data = content.encode(encoding) if isinstance(content, str) else content
            target = target_of(path)
            folder = target.parent if str(target.parent) else Path(".")
            clean_stale_temp_files(target)
            mode = _mode_for(target)
            fd, tmp = tempfile.mkstemp(prefix=_temp_name(target), suffix=TEMP_SUFFIX, dir=folder)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
        for tmp, target in staged:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    for folder in {target.parent for _, target in staged}:
        _fsync_folder(folder if str(folder) else Path("."))
    return [target for _, target in staged]


_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the name is too long",
}


def os_error_message(exc: OSError, path: str | os.PathLike[str]) -> str:
    """Why ``path`` could not be written, in a user's words, naming the folder and what to do:
    ``'cannot be written: the disk is full (folder runs); free some space or choose another folder'``."""
    folder = Path(path).parent
    reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"cannot be written: the folder {folder} is not writable ({reason}); choose another folder "
                "or change its permissions")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot be written: {reason} (folder {folder}); free some space or choose another folder"
    if exc.errno == errno.ENOENT:
        return f"cannot be written: the folder {folder} does not exist; create it or choose an existing folder"
    if exc.errno == errno.ENOTDIR:
        return f"cannot be written: {reason} ({folder}); choose a folder, not a file"
    return f"cannot be written: {reason}"
