"""Run figures: each a whole PNG written atomically, from plain arrays, robust to degenerate inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from anomaly_lab.results import figures

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# What Lightning's CSVLogger writes: one row per logging call, every other cell empty.
SPARSE_LIGHTNING_CSV = """epoch,step,train_loss_step,train_loss_epoch,val_loss,lr-Adam
0,4,0.91,,,
0,9,0.72,,,0.001
0,9,,,0.61,
0,9,,0.80,,
1,14,0.55,,,
1,19,0.49,,,0.001
1,19,,,0.47,
1,19,,0.52,,
"""


def _is_png(path: Path) -> bool:
    return path.stat().st_size > len(PNG_MAGIC) and path.read_bytes()[:8] == PNG_MAGIC


def test_every_figure_is_a_png_and_leaves_no_temp_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 200)
    scores = np.exp(rng.normal(size=400) + 2 * labels)
    fpr = np.linspace(0, 1, 5)
    eff, err = np.array([0.3, 0.9]), np.array([0.1, 0.05])
    paths = [
        figures.plot_score_histograms(scores, labels, 3.0, tmp_path / "hist.png"),
        figures.plot_roc(fpr, fpr**0.5, 0.8, tmp_path / "roc.png", operating_point=(0.05, 0.4)),
        figures.plot_roc(fpr, fpr**0.5, 0.8, tmp_path / "roc_log.png", log_x=True),
        figures.plot_efficiency_curve(np.array([5.0, 7.0]), eff, err, err, tmp_path / "eff.png"),
        figures.plot_efficiency_curve(
            np.array([5.0, 7.0]), eff, err, err, tmp_path / "eff_many.png",
            references={"matched filter": np.array([0.9, 1.0]), "excess power": np.array([0.2, 0.6])},
        ),
    ]  # fmt: skip
    assert all(_is_png(p) for p in paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_score_histogram_survives_constant_scores_and_a_missing_class(tmp_path: Path) -> None:
    path = figures.plot_score_histograms(np.ones(50), np.zeros(50), 1.0, tmp_path / "flat.png", log_y=False)
    assert _is_png(path)


def test_figure_replaces_an_older_file_in_place(tmp_path: Path) -> None:
    target = tmp_path / "roc.png"
    target.write_bytes(b"stale")
    figures.plot_roc(np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0.5, target)
    assert _is_png(target) and [p.name for p in tmp_path.iterdir()] == ["roc.png"]


def test_training_curves_read_every_loss_column_of_a_sparse_lightning_csv(tmp_path: Path) -> None:
    csv = tmp_path / "metrics.csv"
    csv.write_text(SPARSE_LIGHTNING_CSV)
    series = figures._read_loss_columns(csv)
    assert set(series) == {"train_loss_epoch", "val_loss"}
    assert series["val_loss"] == ([0.0, 1.0], [0.61, 0.47])
    assert _is_png(figures.plot_training_curves(csv, tmp_path / "curves.png"))


def test_training_curves_say_so_when_there_is_no_history(tmp_path: Path) -> None:
    no_loss = tmp_path / "metrics.csv"
    no_loss.write_text("epoch,step,lr-Adam\n0,9,0.001\n")
    assert _is_png(figures.plot_training_curves(tmp_path / "missing.csv", tmp_path / "missing.png"))
    assert _is_png(figures.plot_training_curves(no_loss, tmp_path / "no_loss.png"))
