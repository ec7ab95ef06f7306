"""`make bench` end to end on tiny sizes: both paths run and the table is written with its command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_writes_ratio_table_and_keeps_other_sections(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\n## Jet generation\n\nkept\n")
    cmd = [sys.executable, "-m", "anomaly_lab.bench", "--n", "64", "--length", "512", "--batch-size", "32",
           "--epochs", "1", "--repeats", "1", "--out", str(out)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text()
    assert "## Jet generation" in text and "kept" in text
    rows = [line for line in text.splitlines() if line.startswith(("| training", "| scoring"))]
    assert len(rows) == 2
    assert all(float(row.split("|")[4]) > 0 for row in rows)
    assert "python -m anomaly_lab.bench --n 64" in text
