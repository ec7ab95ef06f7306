"""`make bench` (training part) end to end on tiny sizes: both paths run and the table is written with its command."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.slow
def test_bench_writes_ratio_table_and_keeps_other_sections(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\n## Jet generation\n\nkept\n")
    args = ("--n", "64", "--length", "512", "--batch-size", "32", "--epochs", "1", "--repeats", "1", "--out", str(out))
    proc = run_cli(*args, module="anomaly_lab.benchmarks.training")
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text()
    assert "## Jet generation" in text and "kept" in text
    rows = [line.split("|") for line in text.splitlines() if line.startswith(("| training", "| scoring"))]
    assert len(rows) == 2
    for row in rows:  # | path | ours | plain | ours / plain |: the ratio is of the two rates printed beside it
        ours, plain, ratio = (float(cell) for cell in row[2:5])
        rounding = 5e-4 + 0.051 * ratio * (1 / ours + 1 / plain)  # rates printed to 0.1, the ratio to 0.001
        assert ratio == pytest.approx(ours / plain, abs=rounding)
    assert "python -m anomaly_lab.benchmarks.training --n 64" in text
