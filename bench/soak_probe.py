"""The soak's look inside the server: where its resident memory is, sampled from a thread of the server itself.

    python bench/soak_probe.py OUT.jsonl SECONDS [--trim] -- serve --database ... (``learninggraph``'s arguments)

Runs the ``learninggraph`` command line in this process; once it has built its app (``create_app``), a daemon
thread appends one JSON line to ``OUT.jsonl`` every ``SECONDS``. Each line splits the process's memory:

- ``/proc/self/status``: ``VmRSS`` and its parts ``RssAnon`` (heap, arenas), ``RssFile`` (code, mapped files)
  and ``RssShmem`` (shared mappings such as a WAL's ``-shm`` index);
- SQLite's own allocations, process-wide (``sqlite3_memory_used`` and its high-water mark) and per open
  connection (``sqlite3_db_status``: page cache, schema, prepared statements, lookaside), read from the
  ``libsqlite3`` that Python's ``_sqlite3`` module links;
- glibc's heap (``mallinfo2``): bytes handed out, bytes free inside the arenas, bytes mapped on their own;
- Python's own allocated blocks (``sys.getallocatedblocks``), the entries of the verified-token cache (about
  3 KB each), the journal's entries queued and not yet stored (and what they count as in its byte bound),
  and the thread count (glibc gives threads arenas).

``--trim``: after each sample, glibc's ``malloc_trim(0)`` (what a trimming timer in the server would do), with the
CPU time it took and the resident memory right after it. Used by ``bench/soak.py --probe [--probe-trim]``; a
benchmark aid only, not part of the server.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

# sqlite3_db_status verbs (sqlite3.h).
_DB_STATUS = {"lookaside": 0, "cache": 1, "schema": 2, "statements": 3}


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _sqlite_library() -> ctypes.CDLL:
    """The libsqlite3 ``_sqlite3`` is linked with (the one the server's connections live in)."""
    import _sqlite3

    for line in Path("/proc/self/maps").read_text().splitlines():
        if "libsqlite3" in line:
            return ctypes.CDLL(line.split()[-1])
    return ctypes.CDLL(_sqlite3.__file__)


def _connection_handle(connection: sqlite3.Connection) -> int:
    """The ``sqlite3 *`` of a Python connection: CPython keeps it right after the object header."""
    return ctypes.c_void_p.from_address(id(connection) + object.__basicsize__).value or 0


class Probe:
    def __init__(self) -> None:
        self.lib = _sqlite_library()
        self.lib.sqlite3_memory_used.restype = ctypes.c_int64
        self.lib.sqlite3_memory_highwater.restype = ctypes.c_int64
        self.lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
        self.lib.sqlite3_db_status.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        self.lib.sqlite3_db_filename.restype = ctypes.c_char_p
        self.lib.sqlite3_db_filename.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        libc = ctypes.CDLL(None)
        self.mallinfo2 = libc.mallinfo2
        self.mallinfo2.restype = _MallInfo2
        self.malloc_trim = libc.malloc_trim
        self.malloc_trim.argtypes = [ctypes.c_size_t]

    def trim(self) -> dict[str, Any]:
        """``malloc_trim(0)``: its CPU time and the resident memory after it."""
        started = time.thread_time()
        self.malloc_trim(0)
        took = time.thread_time() - started
        rss = next(
            int(line.split()[1])
            for line in Path("/proc/self/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        return {"trim_cpu_ms": round(took * 1000, 3), "rss_after_trim_kb": rss}

    def connections(self) -> list[dict[str, Any]]:
        found = []
        for obj in gc.get_objects():
            if type(obj) is not sqlite3.Connection:
                continue
            handle = _connection_handle(obj)
            if not handle:
                continue
            name = self.lib.sqlite3_db_filename(handle, b"main")
            entry: dict[str, Any] = {"file": os.path.basename((name or b"").decode() or ":memory:")}
            for label, verb in _DB_STATUS.items():
                current, high = ctypes.c_int(), ctypes.c_int()
                self.lib.sqlite3_db_status(handle, verb, ctypes.byref(current), ctypes.byref(high), 0)
                entry[f"{label}_kb"] = round(current.value / 1024)
            found.append(entry)
        return found

    @staticmethod
    def verified_tokens() -> int:
        """Entries in the verified-token caches (``TokenVerifier``) of the process."""
        from learninggraph.identity.tokens import TokenVerifier

        return sum(len(obj._cache) for obj in gc.get_objects() if type(obj) is TokenVerifier)

    @staticmethod
    def journal_pending() -> int:
        """Entries queued for the journal's writer thread and not yet stored."""
        # The writer's thread runs its ``_run``: the writer is that method's object.
        writers = (getattr(getattr(t, "_target", None), "__self__", None) for t in threading.enumerate())
        return sum(w.pending for w in writers if type(w).__name__ == "JournalWriter")

    @staticmethod
    def journal_pending_bytes() -> int:
        """What the queued entries count as in the writer's byte bound (0 where the writer has none)."""
        writers = (getattr(getattr(t, "_target", None), "__self__", None) for t in threading.enumerate())
        return sum(getattr(w, "pending_bytes", 0) for w in writers if type(w).__name__ == "JournalWriter")

    def sample(self) -> dict[str, Any]:
        status = {}
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "Threads"):
                status[key] = int(value.split()[0])
        info = self.mallinfo2()
        return {
            "t": round(time.time(), 1),
            "rss_kb": status.get("VmRSS"),
            "anon_kb": status.get("RssAnon"),
            "file_kb": status.get("RssFile"),
            "shmem_kb": status.get("RssShmem"),
            "threads": status.get("Threads"),
            "sqlite_used_kb": round(self.lib.sqlite3_memory_used() / 1024),
            "sqlite_highwater_kb": round(self.lib.sqlite3_memory_highwater(0) / 1024),
            "malloc_in_use_kb": round(info.uordblks / 1024),
            "malloc_free_kb": round(info.fordblks / 1024),
            "malloc_heap_kb": round(info.arena / 1024),
            "malloc_mapped_kb": round(info.hblkhd / 1024),
            "malloc_top_free_kb": round(info.keepcost / 1024),
            "python_blocks": sys.getallocatedblocks(),
            "verified_tokens": self.verified_tokens(),
            "journal_pending": self.journal_pending(),
            "journal_pending_bytes": self.journal_pending_bytes(),
            "connections": self.connections(),
        }


def _run(out: Path, every: float, trim: bool) -> None:
    probe = Probe()
    with out.open("a") as sink:
        while True:
            sample = probe.sample()
            if trim:
                sample.update(probe.trim())
            sink.write(json.dumps(sample) + "\n")
            sink.flush()
            time.sleep(every)


def main() -> None:
    out, every, *rest = sys.argv[1:]
    trim = bool(rest) and rest[0] == "--trim"
    separator, *rest = rest[1:] if trim else rest
    if separator != "--":
        raise SystemExit(__doc__)
    import learninggraph.app as app_module

    build = app_module.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        # The probe's thread starts once the app is built: started before, it would have a glibc heap (arena)
        # of its own before the server's first call to ``mallopt``, and threads started later could share it.
        app = build(*args, **kwargs)
        threading.Thread(
            target=_run, args=(Path(out), float(every), trim), daemon=True, name="soak-probe"
        ).start()
        return app

    app_module.create_app = create_app
    from learninggraph.cli import main as learninggraph

    raise SystemExit(learninggraph(rest))


if __name__ == "__main__":
    main()
