"""create_app has glibc keep one heap for all threads: what a thread allocates comes from the main heap."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

CHILD = r"""
import ctypes, sys, threading
from learninggraph.app import return_large_blocks_to_the_system
if sys.argv[1] == "set":
    return_large_blocks_to_the_system()
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
address = []
thread = threading.Thread(target=lambda: address.append(libc.malloc(1000)))
thread.start()
thread.join()
heap = next(line.split()[0] for line in open("/proc/self/maps") if line.rstrip().endswith("[heap]"))
start, end = (int(part, 16) for part in heap.split("-"))
print(start <= address[0] < end)
"""


def _in_main_heap(mode: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.strip()


@pytest.mark.backend_independent
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_a_thread_started_after_the_setting_allocates_from_the_main_heap() -> None:
    assert _in_main_heap("set") == "True"
