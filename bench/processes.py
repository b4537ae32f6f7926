"""The processes of a benchmark run: wrk and its output, servers pinned to a CPU, ports, readiness, memory, and
a throwaway durable PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataset import PUBLIC_URL

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return "wrk"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def process(
    args: list[str], *, cpu: str, env: dict[str, str] | None = None, stderr: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``args`` pinned to ``cpu``; its stderr to the file ``stderr`` (a log read later) or a pipe."""
    log = stderr.open("ab") if stderr is not None else None
    proc = subprocess.Popen(
        ["taskset", "-c", cpu, *args],
        stdout=subprocess.DEVNULL,
        stderr=log if log is not None else subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log is not None:
            log.close()


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status < 500:
                    return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_wrk(
    wrk: str,
    url: str,
    script: Path,
    duration: int,
    pid: int,
    connections: int = 32,
    *,
    extra: Sequence[str] = (),
    on_output: Callable[[str], None] | None = None,
) -> tuple[float, float, float, int, float]:
    peak = [rss_mb(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            peak[0] = max(peak[0], rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "0",
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            *extra,
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    stop.set()
    sampler.join()
    if on_output is not None:
        on_output(out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _latency(out, "50%")
    p99 = _latency(out, "99%")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return rps, p50, p99, errors, peak[0]


def _latency(out: str, label: str) -> float:
    match = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)", out)
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def serve_command(url: str, port: int, *, workers: int = 1, log: str = "off") -> list[str]:
    """Our server on ``url`` at 127.0.0.1:``port``, without the development identity.

    ``log``: ``off`` (no access line), ``text`` or ``json`` (one access line per request, to stderr).
    """
    logging = ["--log-level", "warning"] if log == "off" else ["--log-level", "info", "--log-format", log]
    return [
        PYTHON,
        "-m",
        "learninggraph",
        "serve",
        "--database",
        url,
        "--port",
        str(port),
        "--no-dev-identity",
        "--public-url",
        PUBLIC_URL,
        "--workers",
        str(workers),
        # By default without the per-request access line: the figures are the API's.
        *logging,
    ]


def durable_postgres() -> Any:
    """A private PostgreSQL cluster on a unix socket, with the durable settings a real one runs."""
    sys.path.insert(0, str(ROOT))
    from tests.postgres_server import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed: apt-get install postgresql")
    server = PostgresServer(bin_dir)
    with (server.data / "postgresql.conf").open("a") as conf:
        conf.write("fsync = on\nsynchronous_commit = on\nfull_page_writes = on\nshared_buffers = '1GB'\n")
    server.stop()
    server.start()
    return server


def wrk_extra(duration: int) -> list[str]:
    """wrk's options for a peer on top of ours: a timeout long enough that slow answers still count."""
    return ["--timeout", f"{duration + 10}s"]


@dataclass
class WrkCounts:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int

    @property
    def ok_rps(self) -> float:
        return max(0, self.requests - self.non_2xx) / self.seconds if self.seconds else 0.0


def wrk_counts(output: str) -> WrkCounts:
    """Answers, elapsed time, non-2xx/3xx answers and socket errors (timeouts included) from wrk's output."""
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    requests, seconds = 0, 0.0
    if total is not None:
        requests = int(total.group(1))
        seconds = float(total.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[total.group(3)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkCounts(
        requests=requests,
        seconds=seconds,
        non_2xx=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wait_idle(pid: int, timeout: float = 120, interval: float = 0.5) -> float:
    """Waits until ``pid`` stops using the CPU (a peer still working off requests wrk gave up on would
    otherwise take the core from the next scenario); returns the seconds waited."""
    started = time.monotonic()
    last = cpu_seconds(pid)
    while time.monotonic() - started < timeout:
        time.sleep(interval)
        now = cpu_seconds(pid)
        if now - last < 0.05 * interval:
            break
        last = now
    return time.monotonic() - started
