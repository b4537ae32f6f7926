"""The console's writer for ``serve``: every learninggraph log line, in order, to stderr through one buffer.

A line per request through the logging module (a record, a formatter, ``strftime``, a lock and a flushed write
each) cost about as much CPU as a whole GET; here the access log hands a finished line to ``append`` and the
other loggers' records pass through ``emit``, both into one buffer that a thread of its own writes out within
``FLUSH_SECONDS``. A warning or worse is written at once; whatever waits is written when the server shuts down
and at exit (``logging.shutdown`` flushes every handler).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TextIO

FLUSH_SECONDS = 0.1


class Console(logging.Handler):
    """A handler whose lines wait in a buffer; ``append`` takes a line that is already formatted."""

    def __init__(self, stream: TextIO, *, json_lines: bool = False) -> None:
        super().__init__()
        self.stream = stream
        self.json_lines = json_lines
        self._lines: list[str] = []
        self._guard = threading.Lock()
        self._writing = threading.RLock()
        self._waiting = threading.Event()
        self._second = -1
        self._stamp = ""
        self._flusher = threading.Thread(target=self._flush_soon, name="learninggraph-console", daemon=True)
        self._flusher.start()

    def stamp(self, now: float) -> str:
        """The ``asctime`` of ``logging.Formatter`` (``2026-11-26 05:30:12,345``), its second formatted once."""
        second = int(now)
        if second != self._second:
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            self._second = second
        return f"{self._stamp},{int((now - second) * 1000):03d}"

    def append(self, line: str) -> None:
        """Queues one finished line (without its newline) behind every line queued before it."""
        with self._guard:
            self._lines.append(line)
            if len(self._lines) == 1:
                self._waiting.set()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self.append(line)
        if record.levelno >= logging.WARNING:
            self.flush()

    def format(self, record: logging.LogRecord) -> str:
        when = self.stamp(record.created)
        message = record.getMessage()
        if not self.json_lines:
            text = f"{when} {record.levelname} {message}"
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            return text
        if record.name == "learninggraph.access":  # the access log's own JSON object, its time put first
            return f'{{"time":"{when}",{message[1:]}'
        entry = {"time": when, "level": record.levelname.lower(), "logger": record.name, "message": message}
        if record.exc_info:
            entry["exception"] = logging.Formatter().formatException(record.exc_info)
        return json.dumps(entry)

    def flush(self) -> None:
        with (
            self._writing
        ):  # one writer at a time, from taking the lines to writing them: batches stay in order
            with self._guard:
                lines, self._lines = self._lines, []
            if not lines:
                return
            try:
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass  # a closed or broken stderr: nothing left to tell

    def close(self) -> None:
        self.flush()
        super().close()

    def _flush_soon(self) -> None:
        while True:
            self._waiting.wait()
            time.sleep(FLUSH_SECONDS)
            self._waiting.clear()
            self.flush()
