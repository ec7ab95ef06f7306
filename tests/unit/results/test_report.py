"""report.md and metrics.json: written whole or not at all, and readable by a person."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.results.figures import plot_training_curves
from anomaly_lab.results.report import write_json_atomic, write_report


def test_report_shows_metrics_tables_and_relative_figure_links(tmp_path: Path) -> None:
    fig = plot_training_curves(tmp_path / "none.csv", tmp_path / "figs" / "training.png")
    metrics = {
        "auroc": np.float64(0.912345),
        "n_test_signal": 4000,
        "target_fpr": None,
        "policy": "fpr",
        "efficiency": {"x": [1]},
        "edges": [8, 12, 20],
    }
    table = "| column | flagged |\n|---|---|\n| signal | 81.2 |"
    report = write_report(tmp_path, "Study", metrics, {"Flagged": table}, {"training": fig}, ["SNR in [8, 20]"])
    text = report.read_text()
    assert report == tmp_path / "report.md" and text.startswith("# Study\n")
    assert "| auroc | 0.9123 |" in text and "| n_test_signal | 4000 |" in text and "| target_fpr | — |" in text
    assert "| policy | fpr |" in text and "efficiency" not in text and "edges" not in text
    assert "## Flagged" in text and table in text
    # the data notes come first: every number below depends on them
    assert text.index("- SNR in [8, 20]") < text.index("## Metrics")
    links = re.findall(r"!\[training\]\((.+?)\)", text)
    assert links == ["figs/training.png"] and (tmp_path / links[0]).is_file()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_json_round_trips_numpy_and_turns_nan_into_null(tmp_path: Path) -> None:
    obj = {
        "a": np.float32(0.5),
        "b": np.int64(3),
        "c": np.arange(3),
        "d": float("nan"),
        "e": np.array([1.5, np.inf]),
        "f": np.bool_(True),
        "g": np.array(2.0),
        "h": {"nested": (np.float64(-np.inf), 1)},
    }
    path = write_json_atomic(tmp_path / "m.json", obj)
    assert json.loads(path.read_text()) == {
        "a": 0.5, "b": 3, "c": [0, 1, 2], "d": None, "e": [1.5, None], "f": True, "g": 2.0, "h": {"nested": [None, 1]}
    }  # fmt: skip
    assert '\n  "a": 0.5' in path.read_text()  # indent 2


def test_failed_json_write_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_json_atomic(tmp_path / "m.json", {"bad": object()})
    assert list(tmp_path.iterdir()) == []


def test_failed_json_write_keeps_the_previous_file_whole(tmp_path: Path) -> None:
    path = write_json_atomic(tmp_path / "m.json", {"auroc": 0.9})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"bad": object()})
    assert json.loads(path.read_text()) == {"auroc": 0.9} and [p.name for p in tmp_path.iterdir()] == ["m.json"]
