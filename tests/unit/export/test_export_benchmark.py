"""The export benchmark, on the smallest network and tiny sizes: one row per runtime in its own section of the
benchmarks file, other sections kept."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from anomaly_lab.benchmarks.export import HEADING, main


def test_export_benchmark_writes_a_row_per_runtime_into_its_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\n## Another study\n\nkept\n")
    argv = ["--experiments", "lhco_hlf", "--batch", "16", "--batches", "2", "--calls", "5", "--warmup", "2",
            "--repeats", "2", "--out", str(out)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["export", *argv])
    main()
    text = out.read_text()
    assert "## Another study\n\nkept" in text and text.count(HEADING) == 1
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| lhco_hlf |")]
    assert [r[2].strip() for r in rows] == ["eager PyTorch", "TorchScript", "ONNX Runtime"]
    for row in rows:
        rate, median, p99 = (float(v.replace(",", "")) for v in row[3:])
        assert rate > 0 and 0 < median <= p99
    assert "python -m anomaly_lab.benchmarks.export --experiments lhco_hlf" in text and "onnxruntime" in text
