"""Run the installed `vstep-grading` command as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

VSTEP = str(Path(sys.executable).with_name("vstep-grading"))


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VSTEP, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
