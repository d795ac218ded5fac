"""`vstep-grading worker` subprocesses for the benchmarks that run our workers: the
PROCESSESxTHREADS settings option, starting them, waiting until each process is up, and
stopping them (benchmarks.pipeline, benchmarks.peers)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import redis

from benchmarks import common as bench

WORKERS_READY_SECONDS = 60.0


WORKERS_STOP_SECONDS = 30.0


LOG_TAIL_CHARS = 2000


def parse_setting(text: str) -> tuple[int, int]:
    processes, _, threads = text.partition("x")
    try:
        setting = int(processes), int(threads)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not PROCESSESxTHREADS") from None
    if min(setting) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: both counts must be positive")
    return setting


def add_worker_settings(parser: argparse.ArgumentParser, flag: str, default: Sequence[str]) -> None:
    """``flag``: the worker settings to run, each PROCESSESxTHREADS."""
    parser.add_argument(
        flag,
        nargs="+",
        type=parse_setting,
        default=[parse_setting(text) for text in default],
        help="worker processes x threads to run, e.g. 1x4 1x16 2x8",
    )


def start_workers(
    env: bench.BenchEnv, db: bench.Database, args: argparse.Namespace, log_path: Path
) -> subprocess.Popen[bytes]:
    """`vstep-grading worker` as deployed: separate processes use both cores, unlike threads
    sharing this process's GIL with the producers and the relay."""
    command = [
        str(Path(sys.executable).with_name("vstep-grading")),
        "worker",
        "--processes",
        str(args.worker_processes),
        "--threads",
        str(args.worker_threads),
    ]
    child_env = {
        **os.environ,
        "DATABASE_URL": db.libpq_url,
        "BROKER_URL": env.redis_url,
        "BROKER_NAMESPACE": env.namespace,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "warning",
    }
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            command,
            env=child_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C here is handled by us, and the stop reaches
            # Dramatiq's worker processes too.
            start_new_session=True,
        )


def wait_workers_ready(
    env: bench.BenchEnv, workers: subprocess.Popen[bytes], processes: int, log_path: Path
) -> None:
    """Every worker process has fetched from Redis (each leaves a heartbeat there)."""
    client = redis.Redis.from_url(env.redis_url)

    def ready() -> bool:
        check_alive(workers, log_path)
        return int(client.zcard(f"{env.namespace}:__heartbeats__")) >= processes

    try:
        bench.wait_for(
            ready, timeout=WORKERS_READY_SECONDS, what=f"{processes} worker processes up"
        )
    finally:
        client.close()


def check_alive(workers: subprocess.Popen[bytes], log_path: Path) -> None:
    if workers.poll() is not None:
        tail = log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        raise bench.BenchmarkError(f"the workers exited with {workers.returncode}: {tail}")


def stop_workers(workers: subprocess.Popen[bytes]) -> None:
    if workers.poll() is not None:
        return
    try:
        os.killpg(workers.pid, signal.SIGTERM)
        workers.wait(timeout=WORKERS_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(workers.pid, signal.SIGKILL)
        workers.wait()
    except ProcessLookupError:
        pass
