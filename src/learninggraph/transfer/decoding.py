"""Reading an export's records: the file read a chunk at a time, decoded and validated with msgspec, and cut
into runs of one kind and column set, on a thread of its own that keeps a few chunks ahead of the inserts.

The decoder holds the interpreter lock, the databases' drivers mostly do not (``sqlite3_step`` and the
PostgreSQL server's work run without it), so on a machine with two cores the next chunk is decoded while the
database stores the last one. A malformed chunk is reported in its place in the stream: every record before
it is handed over first, so the import fails where it would have failed reading the file in one thread.
"""

from __future__ import annotations

import operator
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby, repeat
from typing import Any, BinaryIO

import msgspec
from msgspec import UNSET
from msgspec.structs import astuple

from learninggraph.transfer.records import KINDS, Kind, TransferError, Value, import_type, record_decoder

_RECORDS = record_decoder()
# Bytes of the file decoded at a time: small enough that the decoder never holds the interpreter lock for
# long (about a millisecond), large enough that the per-chunk work is negligible.
_CHUNK_BYTES = 1 << 20
# Chunks decoded ahead of the inserts, at most (a bound on memory: a few tens of megabytes).
_AHEAD = 8
_KIND_BY_TYPE: dict[type, Kind] = {import_type(kind): kind for kind in KINDS}


@dataclass(slots=True)
class Run:
    """Consecutive records of one kind giving the same columns, as rows of values in column order."""

    number: int
    kind: Kind
    columns: tuple[str, ...]
    rows: list[tuple[Value, ...]]


def runs(source: BinaryIO) -> Iterator[Run]:
    """The records after the header (already read from ``source``), in file order."""
    for chunk in _chunks(source):
        yield from chunk


@contextmanager
def runs_decoded_ahead(source: BinaryIO) -> Iterator[Iterator[Run]]:
    """``runs(source)``, decoded on a thread of its own up to ``_AHEAD`` chunks before they are taken."""
    ahead = _Ahead(source)
    try:
        yield ahead.runs()
    finally:
        ahead.stop()


class _Ahead:
    def __init__(self, source: BinaryIO) -> None:
        self._queue: queue.Queue[list[Run] | BaseException | None] = queue.Queue(_AHEAD)
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._decode, args=(source,), name="learninggraph-import-decoder", daemon=True
        )
        self._thread.start()

    def _decode(self, source: BinaryIO) -> None:
        try:
            for chunk in _chunks(source):
                if not self._put(chunk):
                    return
        except BaseException as exc:  # handed to the importing thread, which raises it in its place
            self._put(exc)
            return
        self._put(None)

    def _put(self, item: list[Run] | BaseException | None) -> bool:
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def runs(self) -> Iterator[Run]:
        while (item := self._queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield from item

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()


def _chunks(source: BinaryIO) -> Iterator[list[Run]]:
    """The records a chunk of the file at a time, cut into runs."""
    number = 2
    rest = b""
    while True:
        chunk = source.read(_CHUNK_BYTES)
        data = rest + chunk
        if not chunk:
            if data.strip():
                yield _runs_of(_decode(data, number), number)
            return
        cut = data.rfind(b"\n") + 1
        data, rest = data[:cut], data[cut:]
        if data:
            yield _runs_of(_decode(data, number), number)
            number += data.count(b"\n")


def _runs_of(records: list[Any], number: int) -> list[Run]:
    """Records cut into runs of one kind (one pass of ``astuple`` over each); a record that leaves a column
    out (its default applies) is a run of its own, with only the columns it gives."""
    found: list[Run] = []
    for record_type, group in groupby(records, type):
        kind = _KIND_BY_TYPE[record_type]
        rows = list(map(astuple, group))
        if any(map(operator.contains, rows, repeat(UNSET))):
            for offset, values in enumerate(rows):
                columns, given = _given(kind, values)
                found.append(Run(number + offset, kind, columns, [given]))
        else:
            found.append(Run(number, kind, kind.columns, rows))
        number += len(rows)
    return found


def _given(kind: Kind, values: tuple[Any, ...]) -> tuple[tuple[str, ...], tuple[Value, ...]]:
    """The columns a record gives and its values for them (a column left out takes the table's default)."""
    pairs = [
        (column, value) for column, value in zip(kind.columns, values, strict=True) if value is not UNSET
    ]
    return tuple(column for column, _ in pairs), tuple(value for _, value in pairs)


def _decode(data: bytes, number: int) -> list[Any]:
    try:
        return _RECORDS.decode_lines(data)
    except (msgspec.ValidationError, msgspec.DecodeError):
        pass
    # Decoded again line by line only to say which line is wrong.
    for offset, line in enumerate(data.split(b"\n")):
        if not line.strip():
            continue
        try:
            _RECORDS.decode(line)
        except msgspec.ValidationError as exc:
            raise TransferError(
                f"line {number + offset}: {exc} (a record is a known kind with its own columns; "
                "values are text, integers or null)"
            ) from None
        except msgspec.DecodeError:
            raise TransferError(f"line {number + offset}: not a JSON object") from None
    raise TransferError(f"lines {number} on: not JSON Lines")
