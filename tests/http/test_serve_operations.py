"""``learninggraph serve`` as a process, configured by a TOML file: JSON log lines on stderr and metrics on a
separate loopback port, not on the public one."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_from_a_config_file_logs_json_lines_and_serves_metrics_on_its_own_port(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    config = tmp_path / "learninggraph.toml"
    config.write_text(
        f'database = "sqlite:///{tmp_path / "lg.db"}"\nport = {port}\nlog_format = "json"\n'
        f'metrics = "127.0.0.1:{metrics_port}"\nno_dev_identity = true\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNINGGRAPH_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "learninggraph", "serve", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"{base}/ready")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "serve did not start"
                time.sleep(0.1)
        public_metrics = httpx.get(f"{base}/metrics")
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)

    assert ready.status_code == 200
    assert public_metrics.status_code == 404
    assert 'learninggraph_http_requests_total{method="GET",route="/ready",status="200"} 1.0' in scraped
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert {"route": "/ready", "requestId": ready.headers["request-id"]}.items() <= next(
        line for line in lines if line.get("route") == "/ready"
    ).items()


def test_with_two_workers_a_scrape_counts_and_the_log_shows_the_requests_of_both(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEARNINGGRAPH_", "PROMETHEUS_"))}
    options = ["--port", str(port), "--workers", "2", "--metrics", "public"]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "learninggraph",
            "serve",
            "--database",
            f"sqlite:///{tmp_path / 'lg.db'}",
            *options,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "serve did not start"
                time.sleep(0.2)
        for _ in range(20):
            # A new connection each time, so the kernel spreads them over both workers.
            httpx.get(f"{base}/health")
        scraped = httpx.get(f"{base}/metrics").text
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)

    assert sum(" GET /health 200 " in line for line in stderr.splitlines()) == 21
    line = next(
        line
        for line in scraped.splitlines()
        if line.startswith("learninggraph_http_requests_total{") and "/health" in line
    )
    assert float(line.rsplit(" ", 1)[1]) == 21
