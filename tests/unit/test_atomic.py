"""Atomic writes: the file appears whole under its name, with the permissions the umask gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from anomaly_lab.atomic import atomic_path, write_text_atomic


def test_atomic_writes_are_readable_by_the_group(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_text_atomic(tmp_path / "report.md", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = write_text_atomic(tmp_path / "metrics.json", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
