"""Creates course activities through ``$batch`` from a single client and reports the rate.

    python bench/bulk.py --activities 1000000 [--no-journal]
    python bench/bulk.py --activities 40000 --baseline OTHER_TREE [--rounds 4]
    python bench/bulk.py --activities 40000 --connections 2 --workers 2

One client, one keep-alive connection, one ``$batch`` of 20 POSTs at a time (Graph's cap), each sent once
the previous one is answered. The target is 1,000,000 activities in under 5 minutes. The server (one worker)
runs on CPU 1 and the client on CPU 0; besides the wall time, the server's and the client's CPU seconds per
activity are printed: on a shared machine those say what the code costs, the wall time what the machine
gave it. With one worker the server's CPU is also split by thread: the batch lane (each batch's items), the
journal's writer, the event loop (HTTP) and any other.

The client is kept cheap so the figure is the server's: each batch body is a prebuilt byte template with
the running numbers written in, and the answers are decoded into their statuses only.

``--baseline`` serves another source tree beside this one, each on its own copy of the data set, and
alternates rounds between them, so both see the same load; the CPU figures are per tree. ``--connections N``
keeps N batches in flight from the one client process (one keep-alive connection each): not the target's
one-connection figure, but what a client that overlaps its batches gets, at ``--workers 1`` or more (with
more than one worker the server may use both CPUs).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dataset import Shape, load  # noqa: E402 (bench scripts run from a checkout)
from processes import free_port, process, serve_command, wait_ready  # noqa: E402

BATCH = 20  # Graph's cap on the requests of one $batch


class _Answer(msgspec.Struct):
    status: int


class _Answers(msgspec.Struct):
    responses: list[_Answer]


_decode_answers = msgspec.json.Decoder(_Answers).decode


def batch_bodies(
    provider: str, contents: list[str], learners: list[str], total: int, *, first: int = 0
) -> Iterator[bytes]:
    """The bodies of the batches creating ``total`` activities, each item a template filled with its number.

    Learners and contents cycle so that every (learner, content) pair stays plausible; the external ids
    are ``bulk-N``, N from ``first``.
    """
    url = f"/employeeExperience/learningProviders/{provider}/learningCourseActivities"
    head = (
        '{"id":"%d","method":"POST","url":' + json.dumps(url) + ","
        '"headers":{"Content-Type":"application/json"},"body":'
        '{"@odata.type":"#microsoft.graph.learningSelfInitiatedCourse",'
        '"learnerUserId":"%s","learningContentId":"%s","status":"inProgress",'
        '"externalcourseActivityId":"bulk-%d"}}'
    )
    end = first + total
    for start in range(first, end, BATCH):
        items = [
            head % (i - start, learners[i % len(learners)], contents[i % len(contents)], i)
            for i in range(start, min(start + BATCH, end))
        ]
        yield ('{"requests":[' + ",".join(items) + "]}").encode()


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and its live children (the server's workers, if any)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def thread_seconds(pid: int) -> dict[str, float]:
    """CPU seconds of each thread of one server process, by thread id (the main thread: the event loop)."""
    ticks = os.sysconf("SC_CLK_TCK")
    threads: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        threads[task.name] = (int(fields[11]) + int(fields[12])) / ticks
    return threads


def by_kind(pid: int, spent: dict[str, float]) -> dict[str, float]:
    """Threads' CPU seconds named by what they do: the main thread runs the event loop (HTTP); of the others,
    the busiest is the batch lane (each batch's items) and the next the journal's writer (Python 3.11 gives
    threads no names the system shows, so they are told apart by their CPU); the rest together."""
    others = sorted((seconds for tid, seconds in spent.items() if tid != str(pid)), reverse=True)
    return {
        "loop": spent.get(str(pid), 0.0),
        "batch": others[0] if others else 0.0,
        "journal": others[1] if len(others) > 1 else 0.0,
        "other": sum(others[2:]),
    }


@dataclass
class Tally:
    """What one server was sent and used: activities created and failed, wall and server CPU seconds (and, with
    one worker, by kind of thread)."""

    created: int = 0
    failed: int = 0
    wall: float = 0.0
    server_cpu: float = 0.0
    threads: dict[str, float] = field(default_factory=dict)


def send(port: int, headers: dict[str, str], bodies: Iterator[bytes], connections: int) -> tuple[int, int]:
    """Sends every body as a ``$batch`` on ``connections`` keep-alive connections, each one batch at a time;
    returns (created, failed)."""
    taking = threading.Lock()
    counts = [0, 0, 0]
    errors: list[BaseException] = []

    def one_connection() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        created = failed = 0
        try:
            while not errors:
                with taking:
                    body = next(bodies, None)
                if body is None:
                    break
                try:
                    connection.request("POST", "/v1.0/$batch", body, headers)
                    response = connection.getresponse()
                except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                    # The server closed the kept-alive connection (its idle timeout) before reading the
                    # batch: sent again, once, on a new connection.
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    connection.request("POST", "/v1.0/$batch", body, headers)
                    response = connection.getresponse()
                    with taking:
                        counts[2] += 1
                payload = response.read()
                if response.status != 200:
                    raise SystemExit(f"$batch answered {response.status}: {payload[:500]!r}")
                answers = _decode_answers(payload).responses
                ok = sum(1 for answer in answers if answer.status == 201)
                created += ok
                failed += len(answers) - ok
        except BaseException as error:  # handed to the main thread
            errors.append(error)
        finally:
            connection.close()
            with taking:
                counts[0] += created
                counts[1] += failed

    if connections == 1:
        one_connection()
    else:
        threads = [threading.Thread(target=one_connection) for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    if counts[2]:
        print(f"  ({counts[2]} batch(es) sent again on a new connection after the server closed one)")
    return counts[0], counts[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument(
        "--no-journal", action="store_true", help="the server without its request journal (isolates the rest)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=1,
        help="batches in flight at once, one per keep-alive connection (1: the target's one-client figure)",
    )
    parser.add_argument("--workers", type=int, default=1, help="the server's worker processes")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another source tree, served beside this one on a copy of the data set; rounds alternate",
    )
    parser.add_argument("--rounds", type=int, default=4, help="with --baseline: rounds per tree")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="learninggraph-bulk-"))
    url = f"sqlite:///{work}/bulk.db"
    tenant = load(url, Shape.scaled(0.01), work / "ids.json")["tenants"][0]
    provider = tenant["providers"][0]
    trees: dict[str, dict[str, str]] = {"this": {}}
    if args.baseline is not None:
        trees = {"baseline": {"PYTHONPATH": str((args.baseline / "src").resolve())}, "this": {}}
    rounds = args.rounds if args.baseline is not None else 1
    urls = {}
    for name in trees:
        # Each tree on its own copy of the freshly loaded data set.
        copy = work / f"bulk-{name}.db"
        shutil.copyfile(work / "bulk.db", copy)
        urls[name] = f"sqlite:///{copy}"
    headers = {
        "Authorization": f"Bearer {tenant['appToken']}",
        "Content-Type": "application/json",
        "Host": "127.0.0.1",
    }
    cpus = "1" if args.workers == 1 else "0-1"
    os.sched_setaffinity(0, {0})
    tallies = {name: Tally() for name in trees}
    per_round = args.activities // rounds
    with ExitStack() as stack:
        ports, procs = {}, {}
        for name, env in trees.items():
            ports[name] = free_port()
            command = serve_command(urls[name], ports[name], workers=args.workers)
            command += ["--no-journal"] if args.no_journal else []
            procs[name] = stack.enter_context(process(command, cpu=cpus, env=env))
        for name in trees:
            wait_ready(f"http://127.0.0.1:{ports[name]}/health")
        load_before = os.getloadavg()
        client_before = resource.getrusage(resource.RUSAGE_SELF)
        for round_number in range(rounds):
            order = list(trees) if round_number % 2 == 0 else list(reversed(trees))
            for name in order:
                start = round_number * per_round
                # The same external ids in each tree's own data set: the same work on both.
                bodies = batch_bodies(
                    provider, tenant["contents"][provider], tenant["learners"], per_round, first=start
                )
                tally = tallies[name]
                server_before = cpu_seconds(procs[name].pid)
                threads_before = thread_seconds(procs[name].pid) if args.workers == 1 else {}
                started = time.monotonic()
                created, failed = send(ports[name], headers, bodies, args.connections)
                tally.wall += time.monotonic() - started
                tally.server_cpu += cpu_seconds(procs[name].pid) - server_before
                if args.workers == 1:
                    for tid, seconds in thread_seconds(procs[name].pid).items():
                        spent = seconds - threads_before.get(tid, 0.0)
                        tally.threads[tid] = tally.threads.get(tid, 0.0) + spent
                tally.created += created
                tally.failed += failed
        client_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (client_after.ru_utime - client_before.ru_utime) + (
        client_after.ru_stime - client_before.ru_stime
    )
    journal = "off" if args.no_journal else "on"
    print(
        f"journal {journal}, {args.workers} worker(s), {args.connections} connection(s), "
        f"{rounds} round(s) per tree"
    )
    sent = sum(t.created + t.failed for t in tallies.values())
    for name, tally in tallies.items():
        done = tally.created + tally.failed
        rate = tally.created / tally.wall
        print(
            f"{name}: created {tally.created} activities ({tally.failed} failed) in {tally.wall:.0f} s: "
            f"{rate:.0f} activities/s, 1,000,000 at this rate: {1_000_000 / rate / 60:.1f} minutes; "
            f"server CPU {tally.server_cpu:.1f} s ({tally.server_cpu / done * 1e6:.0f} µs per activity)"
        )
        if tally.threads:
            kinds = ", ".join(
                f"{kind} {seconds / done * 1e6:.0f}"
                for kind, seconds in by_kind(procs[name].pid, tally.threads).items()
            )
            print(f"  {name}: server CPU µs per activity by thread: {kinds}")
    print(f"client CPU {client_cpu:.1f} s ({client_cpu / sent * 1e6:.0f} µs per activity)")
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
