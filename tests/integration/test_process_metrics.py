"""Every process's counters reach a scrape: the relay's and each worker process's, summed.

The relay, a worker of two processes and `serve` run as real processes sharing
PROMETHEUS_MULTIPROC_DIR, as `make run` starts them; `serve`'s /metrics must count every
row published and every submission graded, whichever process did it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from tests.acceptance.cli import run_cli
from tests.integration.outbox_seed import seed_pending
from tests.integration.pipeline_checks import statuses
from tests.integration.serve_client import SECRET, ServeClient, free_port
from tests.integration.system_processes import SystemProcesses, system_processes
from tests.waiting import wait_until

SUBMISSIONS = 120
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def metrics_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "metrics"
    directory.mkdir()
    return directory


@pytest.fixture
def system_env(
    child_env: dict[str, str], redis_namespace: str, metrics_dir: Path
) -> dict[str, str]:
    return {
        **child_env,
        "BROKER_NAMESPACE": redis_namespace,
        "CALLBACK_SECRET": SECRET,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }


@pytest.fixture
def processes(system_env: dict[str, str], tmp_path: Path) -> Iterator[SystemProcesses]:
    with system_processes(system_env, tmp_path) as running:
        yield running


def scrape(client: ServeClient | str) -> Samples:
    """The samples of a /metrics answer: serve's, or at a base URL."""
    if isinstance(client, str):
        answer = httpx.get(f"{client}/metrics", timeout=10)
    else:
        answer = client.client.get("/metrics")
    assert answer.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def graded_per_process(metrics_dir: Path) -> dict[str, float]:
    """Gradings each process recorded in its own file (the file's name carries its pid)."""
    counts: dict[str, float] = {}
    for path in sorted(metrics_dir.glob("counter_*.db")):
        for family in MultiProcessCollector.merge([str(path)]):  # type: ignore[no-untyped-call]
            for sample in family.samples:
                if sample.name == "vstep_grading_results_total" and sample.value:
                    counts[path.stem] = counts.get(path.stem, 0.0) + sample.value
    return counts


def test_serve_counts_what_the_relay_and_both_worker_processes_did(
    engine: Engine, processes: SystemProcesses, metrics_dir: Path
) -> None:
    # given the relay, a worker of two processes and serve, sharing a metrics directory
    processes.start("worker", "worker", "--processes", "2", "--threads", "2")
    client = ServeClient(processes, free_port())
    client.start()
    # both worker processes consume before any message exists: one process started
    # alone could grade all of them before the other is up
    wait_until(
        lambda: (
            processes.log_path("worker").read_text(errors="replace").count("ready for action") >= 2
            or bool(processes.dead())
        ),
        timeout=60,
        message=lambda: "worker processes not ready:\n" + processes.tail("worker"),
    )
    seed_pending(engine, SUBMISSIONS)

    # when the relay publishes the submissions and the workers grade them
    processes.start("relay", "relay")
    wait_until(
        lambda: statuses(engine) == {"completed": SUBMISSIONS} or bool(processes.dead()),
        timeout=120,
        message="not all graded",
    )
    assert not processes.dead(), processes.tail("worker")

    # then serve's /metrics counts every row published and every grading, once: the
    # worker processes count after their commit, so the scrape may lag an instant
    def counted() -> bool:
        samples = scrape(client)
        return value(samples, "vstep_grading_latency_seconds_count") == SUBMISSIONS

    wait_until(counted, timeout=10, message="gradings not counted")
    samples = scrape(client)
    assert value(samples, "vstep_outbox_published_total") == SUBMISSIONS
    assert value(samples, "vstep_outbox_failed_total") == 0
    assert value(samples, "vstep_grading_results_total", outcome="completed") == SUBMISSIONS
    assert value(samples, "vstep_grading_latency_seconds_count") == SUBMISSIONS
    assert value(samples, "vstep_grading_latency_seconds_bucket", le="+Inf") == SUBMISSIONS
    # both worker processes graded, and the scrape is their sum, not one process's share
    per_process = graded_per_process(metrics_dir)
    assert len(per_process) == 2, per_process
    assert sum(per_process.values()) == SUBMISSIONS
    # and the database's state is there too
    assert value(samples, "vstep_submissions", status="completed") == SUBMISSIONS
    assert value(samples, "vstep_outbox_rows", status="pending") == 0


def test_a_worker_serves_the_sum_of_its_processes_counts_on_metrics_port(
    engine: Engine, system_env: dict[str, str], tmp_path: Path
) -> None:
    # given a worker of two processes with METRICS_PORT set, and no serve
    port = free_port()
    with system_processes({**system_env, "METRICS_PORT": str(port)}, tmp_path) as running:
        running.start("worker", "worker", "--processes", "2", "--threads", "2")
        seed_pending(engine, SUBMISSIONS)

        # when the relay publishes the submissions and the worker grades them
        running.start("relay", "relay")
        wait_until(
            lambda: statuses(engine) == {"completed": SUBMISSIONS} or bool(running.dead()),
            timeout=120,
            message="not all graded",
        )
        assert not running.dead(), running.tail("worker")

        # then the worker's own endpoint counts every grading of both its processes
        def counted() -> bool:
            try:
                samples = scrape(f"http://127.0.0.1:{port}")
            except httpx.TransportError:
                return False
            return value(samples, "vstep_grading_latency_seconds_count") == SUBMISSIONS

        wait_until(counted, timeout=20, message="the worker's endpoint did not count them")
        samples = scrape(f"http://127.0.0.1:{port}")
        assert value(samples, "vstep_grading_results_total", outcome="completed") == SUBMISSIONS


def test_metrics_port_without_a_shared_directory_is_refused_in_one_line(
    child_env: dict[str, str],
) -> None:
    result = run_cli("worker", env={**child_env, "METRICS_PORT": str(free_port())})
    assert result.returncode == 2
    assert "METRICS_PORT: needs PROMETHEUS_MULTIPROC_DIR" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_taken_metrics_port_stops_the_worker_in_one_line(
    child_env: dict[str, str], tmp_path: Path
) -> None:
    # given another server on the worker's METRICS_PORT
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**child_env, "METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
        # when a worker starts
        result = run_cli("worker", "--processes", "1", env=env, timeout=60)
    # then it says so in one line and exits 1, before any worker process starts
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: METRICS_PORT address 127.0.0.1:{port} is already in use "
        "(another server listens there; set METRICS_PORT)"
    ]


def test_without_a_shared_directory_serve_shows_only_its_own_counters(
    child_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**child_env, "CALLBACK_SECRET": SECRET}
    with system_processes(env, tmp_path) as running:
        client = ServeClient(running, free_port())
        try:
            client.start()
            names = {name for name, _ in scrape(client)}
        finally:
            client.close()
    # no relay or worker counter shown as a zero serve cannot know
    assert not any(name.startswith(("vstep_outbox_published", "vstep_grading")) for name in names)
    assert "vstep_database_up" in names
    assert "process_cpu_seconds_total" in names


def test_a_metrics_directory_that_is_not_there_stops_a_process_in_one_line(
    child_env: dict[str, str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    result = run_cli("relay", env={**child_env, "PROMETHEUS_MULTIPROC_DIR": str(missing)})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"invalid configuration: PROMETHEUS_MULTIPROC_DIR: {missing} is not a writable directory"
    ]
