"""Reading an export into a database: header checked, records validated, all of them in one transaction.

Records are decoded and validated with msgspec on a thread of their own, a chunk of the file ahead of the
inserts (``transfer.decoding``), batched by kind and column set, and inserted with ``executemany`` on SQLite
and ``COPY`` on PostgreSQL (``transfer.writers``). Any refused record rolls the whole import back, so a
database never holds half a file.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import msgspec

from learninggraph.collector import collector_paused
from learninggraph.progress import progress
from learninggraph.transfer.decoding import runs_decoded_ahead
from learninggraph.transfer.records import (
    BATCH_ROWS,
    KIND_BY_NAME,
    KINDS,
    Header,
    Kind,
    TransferError,
    Value,
    check_header,
)
from learninggraph.transfer.writers import Writer, write_transaction

_HEADER = msgspec.json.Decoder(Header)
_ORDER = {kind.name: index for index, kind in enumerate(KINDS)}


def import_file(url: str, source: BinaryIO) -> dict[str, int]:
    """Inserts every record of the export ``source`` into the database at ``url``; returns the counts.

    Nothing is written unless every record goes in: a conflicting id, a record that breaks a rule of
    the schema, or a malformed line rolls the whole import back and raises ``TransferError``.
    """
    first = source.readline()
    try:
        header = _HEADER.decode(first)
    except msgspec.ValidationError as exc:
        raise TransferError(f"line 1: not an export header: {exc}") from None
    except msgspec.DecodeError:
        raise TransferError("line 1: not an export header (not a JSON object)") from None
    check_header(header)
    counts = dict.fromkeys(KIND_BY_NAME, 0)
    with (
        collector_paused(),
        write_transaction(url) as (writer, driver_error),
        progress(sum(header.counts.values()), "import") as bar,
        runs_decoded_ahead(source) as runs,
    ):
        batch = _Batch(writer, driver_error, bar)
        for run in runs:
            kind = run.kind
            if kind is not batch.kind:
                batch.flush()
                _check_order(batch.kind, kind, writer, run.number)
                writer.begin_kind(kind)
            batch.add(kind, run.columns, run.rows)
            counts[kind.name] += len(run.rows)
        batch.flush()
        writer.finish()
    return {name: count for name, count in counts.items() if count}


def _check_order(previous: Kind | None, kind: Kind, writer: Writer, number: int) -> None:
    if previous is not None and _ORDER[kind.name] < _ORDER[previous.name]:
        raise TransferError(
            f"line {number}: a {kind.name} record after {previous.name} records "
            "(kinds go in the documented order)"
        )
    if kind.server_wide and kind is not previous and writer.holds_any(kind):
        raise TransferError(
            f"line {number}: the database has {kind.table.replace('_', ' ')} of its own; "
            "import them only into a database without any (nothing was imported)"
        )


class _Batch:
    """Records of one kind with one column set, waiting to be inserted together."""

    def __init__(self, writer: Writer, driver_error: type[Exception], bar: Any) -> None:
        self.writer = writer
        self.driver_error = driver_error
        self.bar = bar
        self.kind: Kind | None = None
        self.columns: tuple[str, ...] = ()
        self.rows: list[tuple[Value, ...]] = []

    def add(self, kind: Kind, columns: tuple[str, ...], rows: list[tuple[Value, ...]]) -> None:
        if kind is not self.kind or columns != self.columns:
            self.flush()
            self.kind, self.columns = kind, columns
        self.rows.extend(rows)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        kind, rows = self.kind, self.rows
        if kind is None or not rows:
            return
        self.rows = []
        try:
            self.writer.insert(kind, self.columns, rows)
        except self.driver_error as exc:
            raise TransferError(self._explain(kind, self.writer.refused(rows), exc)) from None
        self.bar.update(len(rows))

    def _explain(self, kind: Kind, rows: list[tuple[Value, ...]], exc: Exception) -> str:
        positions = [self.columns.index(column) for column in kind.key]
        keys = [tuple(row[i] for i in positions) for row in rows]
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        clash = self.writer.existing(kind, keys)
        if clash is not None:
            named = ", ".join(f"{column}={value!r}" for column, value in zip(kind.key, clash, strict=True))
            return (
                f"the {kind.name} {named} already exists (in the database, or earlier in the file): "
                "nothing was imported (import into an empty database, or remove the conflicting records first)"
            )
        return f"a {kind.name} record was refused by the database ({reason}): nothing was imported"
