"""The system's long-running commands as subprocesses, each with its log in a file.

Each process gets its own session (process group), so a stop reaches Dramatiq's child
processes too; whatever a test leaves running is stopped by ``stop_all``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.acceptance.cli import VSTEP

# How long a process may take to finish its batch and exit after SIGTERM.
STOP_TIMEOUT_SECONDS = 30.0


class SystemProcesses:
    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """``vstep-grading ARGS`` with its stderr (the JSON log lines) in ``name``.log."""
        with self.log_path(name).open("ab") as log_file:
            process = subprocess.Popen(
                [VSTEP, *args],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log_file,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def start_system(self) -> None:
        """Relay, one worker process of four threads, scheduler: the whole pipeline."""
        self.start("relay", "relay")
        self.start("worker", "worker", "--processes", "1", "--threads", "4")
        self.start("scheduler", "scheduler")

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def dead(self) -> dict[str, int]:
        """Name and exit code of every process that has exited."""
        return {
            name: code
            for name, process in self.processes.items()
            if (code := process.poll()) is not None
        }

    def events(self, name: str, event: str) -> list[dict[str, Any]]:
        """The structlog lines named ``event`` in a process's log (other lines skipped)."""
        found = []
        path = self.log_path(name)
        if not path.exists():
            return []
        for line in path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and record.get("event") == event:
                    found.append(record)
        return found

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.log_path(name)
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                # The leader only: Dramatiq's main process passes it on to its children (a
                # second SIGTERM would make them kill themselves instead of finishing).
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_SECONDS)


@contextlib.contextmanager
def system_processes(env: dict[str, str], log_dir: Path) -> Iterator[SystemProcesses]:
    running = SystemProcesses(env, log_dir)
    try:
        yield running
    finally:
        running.stop_all()
