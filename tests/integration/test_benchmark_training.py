"""`make bench` (training part) end to end on tiny sizes: every path of two networks runs, the ratio table agrees with
the rates printed beside it, the JSON holds every row, and other sections of the file are kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.mark.slow
def test_bench_writes_ratio_table_and_keeps_other_sections(run_cli, tmp_path: Path) -> None:
    out, dump = tmp_path / "benchmarks.md", tmp_path / "bench.json"
    out.write_text("# Benchmarks\n\n## Jet generation\n\nkept\n")
    args = ("--device", "cpu", "--networks", "gw,lhco", "--n", "64", "--batch-size", "32", "--score-batch", "64",
            "--score-n", "64", "--epochs", "1", "--warmup", "1", "--repeats", "1", "--out", str(out), "--json",
            str(dump))  # fmt: skip
    proc = run_cli(*args, module="anomaly_lab.benchmarks.training")
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text()
    assert "## Jet generation" in text and "kept" in text
    assert "## 1-D CNN autoencoder (gw_cnnae network): Lightning path vs plain PyTorch loop" in text
    assert "## Training and scoring on" not in text  # no GPU section from a CPU run
    assert "(runs `python -m anomaly_lab.benchmarks.training --device cpu --networks gw,lhco --n 64" in text
    summary = [line.split("|") for line in text.splitlines() if line.startswith(("| gw (", "| lhco ("))]
    assert [(r[1].strip(), r[2].strip()) for r in summary] == [
        ("gw (windows)", "training, Lightning Trainer"), ("gw (windows)", "scoring, pipeline scorer"),
        ("lhco (events)", "training, Lightning Trainer"), ("lhco (events)", "scoring, pipeline scorer"),
    ]  # fmt: skip
    for row in summary:  # | network | path | batch | ours | plain | ours / plain | ...: the ratio is of the rates
        ours, plain, ratio = (float(cell) for cell in row[4:7])
        rounding = 5e-4 + 0.051 * ratio * (1 / ours + 1 / plain)  # rates printed to 0.1, the ratio to 0.001
        assert ratio == pytest.approx(ours / plain, abs=rounding)
    rows = json.loads(dump.read_text())["rows"]
    assert len(rows) == 2 * 5  # per network: plain, ours and diagnostic training; plain and ours scoring
    assert all(r["samples_per_s"] > 0 and r["error"] is None for r in rows), [r["error"] for r in rows]
    for r in rows:  # achieved TFLOP/s: forward FLOPs per sample x samples/s, three forwards' worth when training
        factor = 3 if r["task"] == "training" else 1
        assert r["forward_flops"] > 1e6 and r["tflops"] == pytest.approx(
            factor * r["forward_flops"] * r["samples_per_s"] / 1e12
        )
    assert "failed" not in text
