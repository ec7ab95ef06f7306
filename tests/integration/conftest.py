"""Helpers for tests that run the real entry point (`python -m anomaly_lab`) in a subprocess on tiny settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from anomaly_lab.io import load_arrays, load_attrs

ROOT = Path(__file__).resolve().parents[2]
RunCli = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """`run_cli(*args, env=None, module="anomaly_lab")` runs `python -m <module> ...` from the repository root with
    logs and caches under the test's `tmp_path`, no network, W&B offline and one-line errors."""

    def run(*args: str, env: dict[str, str] | None = None, module: str = "anomaly_lab") -> subprocess.CompletedProcess:
        full_env = os.environ | {"ANOMALY_LAB_ROOT": str(tmp_path), "WANDB_MODE": "offline", "HYDRA_FULL_ERROR": "0"}
        full_env |= env or {}
        full_env.pop("WANDB_API_KEY", None)
        full_env.pop("ANOMALY_LAB_CACHE", None)  # the cache goes under tmp_path too
        return subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    return run


@pytest.fixture
def only_run_dir(tmp_path: Path) -> Callable[[], Path]:
    """`only_run_dir()`: the one run directory (holding metrics.json) under the test's logs; fails if not one."""

    def find() -> Path:
        runs = [p.parent for p in tmp_path.glob("logs/**/metrics.json")]
        assert len(runs) == 1, runs
        return runs[0]

    return find


def _rejection_at_tpr(labels: np.ndarray, scores: np.ndarray, tpr: float) -> float | None:
    """1/FPR at the smallest FPR reaching `tpr`, from scikit-learn's ROC; None (JSON's infinity) when FPR is 0."""
    fpr, tprs, _ = roc_curve(labels, scores)
    best = fpr[tprs >= tpr - 1e-12].min()
    return None if best == 0 else 1 / best


def _recorded_numbers(run: Path) -> tuple[dict[str, Any], dict[str, np.ndarray], float]:
    """A run's metrics.json checked against the scores and labels in its scores.h5, recomputed independently
    (scikit-learn for the ROC); returns (metrics, arrays, threshold)."""
    m = json.loads((run / "metrics.json").read_text())
    arrays, threshold = load_arrays(run / "scores.h5"), load_attrs(run / "scores.h5")["threshold"]
    score, label = arrays["score"], arrays["label"]
    assert (m["n_test_background"], m["n_test_signal"]) == ((label == 0).sum(), (label == 1).sum())
    assert m["auroc"] == pytest.approx(roc_auc_score(label, score), abs=1e-6)
    assert m["threshold"] == threshold
    # the recorded operating point is the threshold applied to the saved test scores
    assert m["fpr_at_threshold"] == pytest.approx(np.mean(score[label == 0] > threshold))
    assert m["tpr_at_fpr"] == pytest.approx(np.mean(score[label == 1] > threshold))
    expected = _rejection_at_tpr(label, score, m["rejection_signal_efficiency"])
    assert m["background_rejection"] == (None if expected is None else pytest.approx(expected, rel=1e-6))
    for name, ref in m["references"].items():
        assert ref["auroc"] == pytest.approx(roc_auc_score(label, arrays[f"reference/{name}"]), abs=1e-6), name
    return m, arrays, threshold


@pytest.fixture
def recorded_numbers() -> Callable[[Path], tuple[dict[str, Any], dict[str, np.ndarray], float]]:
    """`recorded_numbers(run_dir)`: metrics.json checked against scores.h5; returns (metrics, arrays, threshold)."""
    return _recorded_numbers
