"""The run's process, seen from the window: start it, talk to it, end it, say how it ended.

A run is ``python -m engine.training.run`` (:mod:`engine.training.run`) in a process of its own:
the window's Python never trains, so the two never fight over the interpreter lock, and a
crash or an out-of-memory kill of a run leaves the window as it was. :class:`RunProcess` wraps
one such process: a spare started ahead (``--standby``: torch already imported, waiting for
``run SPEC.json``) or one launched for a run (through torchrun for more than one process).
Standard input carries ``pause`` / ``resume`` / ``stop``; closing it ends the run too.
:class:`SparePool` keeps one spare ready. No Qt here: the controller polls from its timer.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

RUN_MODULE = "engine.training.run"


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("QT_QPA_PLATFORM", None)  # the run draws nothing
    return env


class RunProcess:
    """One run process (or a spare waiting for its run)."""

    def __init__(self, popen: subprocess.Popen, log: IO[bytes] | None, standby: bool) -> None:
        self.popen = popen
        self._early_log = log  # what a spare printed before it knew its run folder
        self.standby = standby
        self.assigned = not standby

    # ------------------------------------------------------------------ starting
    @classmethod
    def spare(cls) -> RunProcess:
        """A process that imports torch and the engine now and waits for :meth:`assign`."""
        log = tempfile.TemporaryFile()
        popen = subprocess.Popen([sys.executable, "-m", RUN_MODULE, "--standby"], stdin=subprocess.PIPE,
                                 stdout=log, stderr=log, env=_env(), start_new_session=True)
        return cls(popen, log, standby=True)

    @classmethod
    def launch(cls, spec: Path, processes: int = 1, torchrun_args: list[str] | None = None) -> RunProcess:
        """A process running ``spec`` from the start; with ``processes`` > 1, torchrun with that many
        workers (rank 0 writes the stream), on this machine unless ``torchrun_args`` say otherwise."""
        log_path = spec.parent / "launcher.log"
        log = open(log_path, "ab")  # noqa: SIM115 - the child holds it; closed with this object
        if processes > 1 or torchrun_args:
            extra = torchrun_args or ["--standalone", "--nnodes", "1"]
            cmd = [sys.executable, "-m", "torch.distributed.run", *extra, "--nproc-per-node", str(processes),
                   "-m", RUN_MODULE, str(spec)]
            env = dict(_env(), OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
        else:
            cmd, env = [sys.executable, "-m", RUN_MODULE, "--control", str(spec)], _env()
        popen = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=log, env=env,
                                 start_new_session=True)
        return cls(popen, log, standby=False)

    def assign(self, spec: Path) -> bool:
        """Hand a spare its run; False when it died meanwhile (start another then)."""
        if self.assigned or self.poll() is not None:
            return False
        self.assigned = self._write(f"run {spec}\n")
        return self.assigned

    # ------------------------------------------------------------------ talking to it
    @property
    def pid(self) -> int:
        return self.popen.pid

    def send(self, word: str) -> bool:
        """``pause``, ``resume`` or ``stop``; False when the process no longer listens."""
        return self._write(word + "\n")

    def _write(self, text: str) -> bool:
        stdin = self.popen.stdin
        if stdin is None or stdin.closed:
            return False
        try:
            stdin.write(text.encode())
            stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def poll(self) -> int | None:
        """The exit status once it has ended (negative: the signal that ended it), else None."""
        return self.popen.poll()

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    # ------------------------------------------------------------------ ending it
    def terminate(self) -> None:
        """SIGTERM to the process group (torchrun and its workers alike)."""
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, sig: signal.Signals) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                self.popen.send_signal(sig)
            except ProcessLookupError:
                pass

    def end(self, grace: float = 3.0) -> int:
        """End it now, politely first: stop, then terminate, then kill; waits for it. Returns its status."""
        self.send("stop")
        if self.popen.stdin is not None:
            try:
                self.popen.stdin.close()
            except OSError:
                pass
        for step in (None, self.terminate, self.kill):
            if step is not None:
                step()
            try:
                return self.wait(grace)
            except subprocess.TimeoutExpired:
                continue
        return self.wait(None)

    def wait(self, timeout: float | None) -> int:
        code = self.popen.wait(timeout)
        self._close_files()
        return code

    def _close_files(self) -> None:
        if self.popen.stdin is not None and not self.popen.stdin.closed:
            try:
                self.popen.stdin.close()
            except OSError:
                pass
        if self._early_log is not None:
            self._early_log.close()
            self._early_log = None

    def early_output(self) -> str:
        """What a spare printed before its run (why it died, when it did)."""
        log = self._early_log
        if log is None:
            return ""
        log.seek(0)
        return log.read()[-2000:].decode(errors="replace")


def describe_exit(code: int) -> str:
    """How a process ended, in words: ``was killed (SIGKILL) …``, ``crashed (…)``, ``exited with status 1``."""
    if code >= 0:
        return f"exited with status {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    if name == "SIGKILL":
        return ("was killed (SIGKILL) — by the system when memory ran out, or by another program; "
                "a smaller batch or model needs less memory")
    if name == "SIGSEGV":
        return "crashed (segmentation fault, SIGSEGV)"
    if name == "SIGABRT":
        return "aborted (SIGABRT)"
    if name == "SIGTERM":
        return "was terminated (SIGTERM)"
    return f"was ended by {name}"


def log_tail(run_dir: Path, lines: int = 3) -> str:
    """The last lines the run's process wrote to its log (its traceback, when it crashed)."""
    for name in ("worker.log", "launcher.log"):
        try:
            text = (run_dir / name).read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            continue
        if text:
            return "\n".join(text.splitlines()[-lines:])
    return ""


class SparePool:
    """Keeps one spare run process ready, so pressing Train does not wait for torch to import."""

    def __init__(self) -> None:
        self.spare: RunProcess | None = None
        self.enabled = True

    def fill(self) -> None:
        if self.enabled and (self.spare is None or not self.spare.alive):
            if self.spare is not None:
                self.spare.wait(0)
            self.spare = RunProcess.spare()

    def take(self, spec: Path) -> RunProcess | None:
        """The spare, now running ``spec``; None when there was none (or it had died)."""
        spare, self.spare = self.spare, None
        if spare is not None and spare.assign(spec):
            return spare
        if spare is not None:
            spare.end(grace=1.0)
        return None

    def close(self) -> None:
        spare, self.spare = self.spare, None
        if spare is not None:
            spare.end(grace=2.0)
