"""The CLI's ``export`` and ``import`` commands, and ``serve``'s ``--import`` and ``--export-on-exit``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from learninggraph.cli_accounts import Subcommands, add_command
from learninggraph.cli_database import missing_sqlite_file
from learninggraph.progress import upgrade_at_showing_progress
from learninggraph.storage.database import Database
from learninggraph.transfer.dump import export
from learninggraph.transfer.load import import_file

STANDARD_STREAM = "-"


# serve is handed no database: it opens its own once its port is bound.
ServeCommand = Callable[[argparse.Namespace, Database | None], int]


def _summary(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    parts = ", ".join(f"{name} {count}" for name, count in counts.items() if count)
    return f"{total} records ({parts or 'none'})"


@contextmanager
def _output(path: str) -> Iterator[BinaryIO]:
    """The file to write, replaced only once it is complete (``-``: standard output; a device or pipe is
    written directly)."""
    if path == STANDARD_STREAM:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    if target.exists() and not target.is_file():
        # A device or a pipe (/dev/null, a FIFO): written as it is, never replaced by a file.
        with open(target, "wb", buffering=1 << 20) as stream:
            yield stream
        return
    partial = target.with_name(f".{target.name}.partial")
    # An export may hold secrets: owner-only, like the database itself.
    descriptor = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(descriptor, "wb", buffering=1 << 20) as out:
            yield out
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


@contextmanager
def _input(path: str) -> Iterator[BinaryIO]:
    if path == STANDARD_STREAM:
        yield sys.stdin.buffer
        return
    try:
        source = open(path, "rb", buffering=1 << 20)  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        raise ValueError(f"no export file at {path}") from None
    with source:
        yield source


def export_to(url: str, path: str, *, tenant: str | None = None, secrets: bool = False) -> dict[str, int]:
    with _output(path) as out:
        return export(url, out, tenant=tenant, secrets=secrets)


def import_from(url: str, path: str) -> dict[str, int]:
    with _input(path) as source:
        return import_file(url, source)


def _export(args: argparse.Namespace, database: Database) -> int:
    counts = export_to(database.url, args.output, tenant=args.tenant, secrets=args.include_secrets)
    where = "standard output" if args.output == STANDARD_STREAM else args.output
    print(f"Exported {_summary(counts)} to {where}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace, database: Database) -> int:
    # The import has a connection of its own; with no other open, SQLite can load a new file unjournalled.
    database.close()
    counts = import_from(database.url, args.file)
    print(f"Imported {_summary(counts)}", file=sys.stderr)
    return 0


def _serving(serve: ServeCommand) -> ServeCommand:
    """``serve`` with an import before it starts and an export after a graceful shutdown."""

    def run(args: argparse.Namespace, database: Database | None) -> int:
        # serve opens its database itself, once its port is bound: the transfers go by its URL.
        url: str = args.database
        if sys.stderr.isatty() and missing_sqlite_file(url) is None:
            # An existing database is upgraded here, where a long migration can show its bar; serve then
            # finds the schema current. Off a terminal serve upgrades it itself, as it always has.
            upgrade_at_showing_progress(url)
        if args.import_file is not None:
            counts = import_from(url, args.import_file)
            print(f"Imported {_summary(counts)} from {args.import_file}", file=sys.stderr)
        if args.export_on_exit is None:
            return serve(args, database)
        with _stop_signals_kept():
            status = serve(args, database)
            counts = export_to(url, args.export_on_exit, secrets=args.include_secrets)
            print(f"Exported {_summary(counts)} to {args.export_on_exit}", file=sys.stderr)
        return status

    return run


@contextmanager
def _stop_signals_kept() -> Iterator[None]:
    """SIGINT and SIGTERM only noted while the block runs, so the export after a graceful stop completes.

    The server handles both itself and, once shut down, raises the signal again for the handler that was
    there before it: here that is this one, so the process goes on to export and then exits normally.
    """
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {stop: signal.getsignal(stop) for stop in stops}
    for stop in stops:
        signal.signal(stop, lambda number, frame: None)
    try:
        yield
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)


def _secrets_flag(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--include-secrets",
        action="store_true",
        help="also write client secret digests, password hashes and (all tenants only) the signing keys",
    )


def add_transfer_commands(
    commands: Subcommands, common: argparse.ArgumentParser, serve: argparse.ArgumentParser
) -> None:
    """Adds ``export`` and ``import``, and gives ``serve`` its import and export options."""
    sub = add_command(commands, "export", _export, [common], "write the database's records as JSON Lines")
    sub.add_argument("--tenant", help="only this tenant's records (default: every tenant)")
    sub.add_argument(
        "--output", "-o", default=STANDARD_STREAM, metavar="FILE", help="where to write (default: stdout)"
    )
    _secrets_flag(sub)
    sub = add_command(commands, "import", _import, [common], "add the records of an export to the database")
    sub.add_argument("file", metavar="FILE", help="an export file ('-': stdin)")
    sub.set_defaults(creates_database=True)
    serve.add_argument("--import", dest="import_file", metavar="FILE", help="import an export before serving")
    serve.add_argument(
        "--export-on-exit", metavar="FILE", help="export every tenant to FILE when the server shuts down"
    )
    _secrets_flag(serve)
    serve.set_defaults(run=_serving(serve.get_default("run")))
