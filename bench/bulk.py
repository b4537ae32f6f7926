"""Creates course activities through ``$batch`` from a single client and reports the rate.

    python bench/bulk.py --activities 1000000 [--no-journal]

One client, one keep-alive connection, one ``$batch`` of 20 POSTs at a time (Graph's cap), each sent once
the previous one is answered. The target is 1,000,000 activities in under 5 minutes. The server (one worker)
runs on CPU 1 and the client on CPU 0; besides the wall time, the server's and the client's CPU seconds per
activity are printed: on a shared machine those say what the code costs, the wall time what the machine
gave it.

The client is kept cheap so the figure is the server's: each batch body is a prebuilt byte template with
the running numbers written in, and the answers are decoded into their statuses only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dataset import Shape, load  # noqa: E402 (bench scripts run from a checkout)
from run import free_port, process, serve_command, wait_ready  # noqa: E402

BATCH = 20  # Graph's cap on the requests of one $batch


class _Answer(msgspec.Struct):
    status: int


class _Answers(msgspec.Struct):
    responses: list[_Answer]


_decode_answers = msgspec.json.Decoder(_Answers).decode


def batch_bodies(provider: str, contents: list[str], learners: list[str], total: int) -> Iterator[bytes]:
    """The bodies of the batches creating ``total`` activities, each item a template filled with its number.

    Learners and contents cycle so that every (learner, content) pair stays plausible; the external ids
    are ``bulk-N``.
    """
    url = f"/employeeExperience/learningProviders/{provider}/learningCourseActivities"
    head = (
        '{"id":"%d","method":"POST","url":' + json.dumps(url) + ","
        '"headers":{"Content-Type":"application/json"},"body":'
        '{"@odata.type":"#microsoft.graph.learningSelfInitiatedCourse",'
        '"learnerUserId":"%s","learningContentId":"%s","status":"inProgress",'
        '"externalcourseActivityId":"bulk-%d"}}'
    )
    for start in range(0, total, BATCH):
        items = [
            head % (i - start, learners[i % len(learners)], contents[i % len(contents)], i)
            for i in range(start, min(start + BATCH, total))
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument(
        "--no-journal", action="store_true", help="the server without its request journal (isolates the rest)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="learninggraph-bulk-"))
    url = f"sqlite:///{work}/bulk.db"
    tenant = load(url, Shape.scaled(0.01), work / "ids.json")["tenants"][0]
    provider = tenant["providers"][0]
    bodies = batch_bodies(provider, tenant["contents"][provider], tenant["learners"], args.activities)
    headers = {
        "Authorization": f"Bearer {tenant['appToken']}",
        "Content-Type": "application/json",
        "Host": "127.0.0.1",
    }
    port = free_port()
    server = serve_command(url, port) + (["--no-journal"] if args.no_journal else [])
    created = failed = 0
    os.sched_setaffinity(0, {0})
    with process(server, cpu="1") as proc:
        wait_ready(f"http://127.0.0.1:{port}/health")
        load_before = os.getloadavg()
        server_before = cpu_seconds(proc.pid)
        client_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for body in bodies:
            connection.request("POST", "/v1.0/$batch", body, headers)
            response = connection.getresponse()
            payload = response.read()
            if response.status != 200:
                raise SystemExit(f"$batch answered {response.status}: {payload[:500]!r}")
            answers = _decode_answers(payload).responses
            ok = sum(1 for answer in answers if answer.status == 201)
            created += ok
            failed += len(answers) - ok
        connection.close()
        elapsed = time.monotonic() - started
        server_cpu = cpu_seconds(proc.pid) - server_before
        client_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (client_after.ru_utime - client_before.ru_utime) + (
        client_after.ru_stime - client_before.ru_stime
    )
    rate = created / elapsed
    done = created + failed
    journal = "off" if args.no_journal else "on"
    print(f"created {created} activities ({failed} failed) in {elapsed:.0f} s: {rate:.0f} activities/s")
    print(f"1,000,000 at this rate: {1_000_000 / rate / 60:.1f} minutes (journal {journal})")
    print(
        f"server CPU {server_cpu:.1f} s ({server_cpu / done * 1e6:.0f} µs per activity), "
        f"client CPU {client_cpu:.1f} s ({client_cpu / done * 1e6:.0f} µs per activity)"
    )
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
