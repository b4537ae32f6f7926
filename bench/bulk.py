"""Creates course activities through ``$batch`` from a single client and reports the rate.

    python bench/bulk.py --activities 1000000

The target is 1,000,000 activities in under 10 minutes. The server runs on CPU 1 and the client on CPU 0.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dataset import Shape, load  # noqa: E402 (bench scripts run from a checkout)
from run import free_port, process, serve_command, wait_ready  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--activities", type=int, default=1_000_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="learninggraph-bulk-"))
    url = f"sqlite:///{work}/bulk.db"
    tenant = load(url, Shape.scaled(0.01), work / "ids.json")["tenants"][0]
    provider = tenant["providers"][0]
    contents = tenant["contents"][provider]
    learners = tenant["learners"]
    port = free_port()
    server = serve_command(url, port)
    created = failed = 0
    with process(server, cpu="1"):
        wait_ready(f"http://127.0.0.1:{port}/health")
        started = time.monotonic()
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}/v1.0",
            headers={"Authorization": f"Bearer {tenant['appToken']}"},
            timeout=60,
        ) as client:
            while created + failed < args.activities:
                count = min(20, args.activities - created - failed)
                requests = [
                    {
                        "id": str(i),
                        "method": "POST",
                        "url": f"/employeeExperience/learningProviders/{provider}/learningCourseActivities",
                        "headers": {"Content-Type": "application/json"},
                        "body": {
                            "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
                            "learnerUserId": learners[(created + failed + i) % len(learners)],
                            "learningContentId": contents[(created + failed + i) % len(contents)],
                            "status": "inProgress",
                            "externalcourseActivityId": f"bulk-{created + failed + i}",
                        },
                    }
                    for i in range(count)
                ]
                answers = client.post("/$batch", json={"requests": requests}).json()["responses"]
                ok = sum(1 for a in answers if a["status"] == 201)
                created += ok
                failed += len(answers) - ok
        elapsed = time.monotonic() - started
    rate = created / elapsed
    print(f"created {created} activities ({failed} failed) in {elapsed:.0f} s: {rate:.0f} activities/s")
    print(f"1,000,000 at this rate: {1_000_000 / rate / 60:.1f} minutes")


if __name__ == "__main__":
    main()
