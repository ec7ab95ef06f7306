"""Figures, report.md and metrics.json: written whole or not at all, and readable by a person."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.results import figures
from anomaly_lab.results.report import write_json_atomic, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == PNG_MAGIC


def test_every_figure_is_a_png_and_leaves_no_temp_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 200)
    scores = np.exp(rng.normal(size=400) + 2 * labels)
    t = np.arange(512) / 2048
    paths = [
        figures.plot_score_histograms(scores, labels, 3.0, tmp_path / "hist.png"),
        figures.plot_roc(np.linspace(0, 1, 5), np.linspace(0, 1, 5) ** 0.5, 0.8, tmp_path / "roc.png", (0.05, 0.4)),
        figures.plot_example_window(t, rng.normal(size=512), np.zeros(512), tmp_path / "ex.png", np.sin(t), "w"),
        figures.plot_efficiency_curve(
            np.array([5.0, 7.0]), np.array([0.3, 0.9]), np.array([0.1, 0.1]), np.array([0.1, 0.05]),
            tmp_path / "eff.png", references={"matched filter": np.array([0.9, 1.0])},
        ),
    ]  # fmt: skip
    assert all(_is_png(p) for p in paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eff.png", "ex.png", "hist.png", "roc.png"]


def test_training_curves_from_a_sparse_lightning_csv_or_none(tmp_path: Path) -> None:
    csv = tmp_path / "metrics.csv"
    csv.write_text("epoch,step,train_loss,val_loss\n0,9,,0.5\n0,9,0.7,\n1,19,,0.4\n1,19,0.45,\n")
    assert _is_png(figures.plot_training_curves(csv, tmp_path / "curves.png"))
    assert _is_png(figures.plot_training_curves(tmp_path / "missing.csv", tmp_path / "empty.png"))


def test_report_shows_metrics_tables_and_relative_figure_links(tmp_path: Path) -> None:
    fig = figures.plot_training_curves(tmp_path / "none.csv", tmp_path / "training.png")
    metrics = {"auroc": 0.912345, "n_test_signal": 4000, "target_fpr": None, "efficiency": {"x": [1]}}
    report = write_report(tmp_path, "Study", metrics, {"Flagged": "| a | b |"}, {"training": fig}, ["SNR in [8, 20]"])
    text = report.read_text()
    assert "| auroc | 0.9123 |" in text and "| n_test_signal | 4000 |" in text and "| target_fpr | — |" in text
    assert "| a | b |" in text and "- SNR in [8, 20]" in text
    assert "![training](training.png)" in text and "efficiency" not in text


def test_json_round_trips_numpy_and_turns_nan_into_null(tmp_path: Path) -> None:
    path = write_json_atomic(
        tmp_path / "m.json", {"a": np.float32(0.5), "b": np.int64(3), "c": np.arange(3), "d": float("nan")}
    )
    assert json.loads(path.read_text()) == {"a": 0.5, "b": 3, "c": [0, 1, 2], "d": None}


def test_failed_json_write_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_json_atomic(tmp_path / "m.json", {"bad": object()})
    assert list(tmp_path.iterdir()) == []
