"""Shared fixtures: a GWOSC-format file written by the test itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.writers import write_gwosc_file


@pytest.fixture
def gwosc_file(tmp_path: Path) -> Path:
    return write_gwosc_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-64.hdf5")
