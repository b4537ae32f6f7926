"""create_app has glibc return large freed blocks to the system (its mmap threshold fixed at 128 KiB)."""

from __future__ import annotations

import ctypes
import platform
import subprocess
import sys

import pytest

CHILD = r"""
import ctypes, sys
from learninggraph.app import return_large_blocks_to_the_system
return_large_blocks_to_the_system()
print("ctypes.util" in sys.modules)
"""


@pytest.mark.backend_independent
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_threshold_is_set_through_the_loaded_c_library_without_ctypes_util() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=60
    )

    assert out.stdout.split() == ["False"]
    assert hasattr(ctypes.CDLL(None), "mallopt")
