"""The import decodes the file on a thread of its own, ahead of the inserts, and never leaves that thread
behind: not when the import succeeds, nor when the database refuses a record while the thread is waiting
with decoded chunks the import will never take."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from learninggraph.transfer.load import import_file
from learninggraph.transfer.records import TransferError
from tests.transfer.world import export_file, populate

DECODER = "learninggraph-import-decoder"


class _ReadsWatched(io.BufferedReader):
    """A file that notes the thread of every read."""

    threads: set[str]

    def read(self, size: int | None = -1) -> bytes:
        self.threads.add(threading.current_thread().name)
        return super().read(size)


def _decoders() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == DECODER]


def test_the_records_are_read_and_decoded_off_the_importing_thread(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source, target = new_database_url(), new_database_url()
    populate(source)
    export_file(source, tmp_path / "out.jsonl")
    with _ReadsWatched(io.FileIO(tmp_path / "out.jsonl")) as watched:
        watched.threads = set()
        assert import_file(target, watched)["courseActivity"] == 4
    assert watched.threads == {DECODER}
    assert not _decoders()


def test_a_refused_import_stops_its_decoder_even_when_it_waits_with_chunks_never_taken(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source = new_database_url()
    world = populate(source)
    header, tenant = export_file(source, tmp_path / "out.jsonl", "--tenant", world.tenant).splitlines()[:2]
    # The tenant clashes with the database's own; 30 MB of users follow, more than the decoder keeps ahead.
    users = b"".join(
        json.dumps(
            {"kind": "user", "tenant_id": world.tenant, "id": f"user-{n:07d}", "display_name": "x" * 400}
        ).encode()
        + b"\n"
        for n in range(60_000)
    )
    with pytest.raises(TransferError, match="already exists"):
        import_file(source, io.BytesIO(b"\n".join([header, tenant, b""]) + users))
    assert not _decoders()
