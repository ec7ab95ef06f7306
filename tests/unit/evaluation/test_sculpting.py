"""Sculpting of a variable by a cut: the Jensen-Shannon distance of the background shape before and after, in
equal-count bins of the test background; withheld below 10 passing events; in metrics via `evaluate`; the table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from anomaly_lab.evaluation.evaluate import evaluate
from anomaly_lab.evaluation.sculpting import (
    MIN_BACKGROUND_PASSING,
    SculptedVariable,
    equal_count_edges,
    js_distance,
    sculpted_variable,
    sculpting,
)
from anomaly_lab.evaluation.thresholds import FprThreshold
from anomaly_lab.results.sculpting_table import sculpting_table


def mjj_sample(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return 2000 + rng.exponential(800, n), np.zeros(n, int)


def test_a_cut_independent_of_mjj_leaves_its_shape_nearly_alone() -> None:
    mjj, labels = mjj_sample(200_000)
    rng = np.random.default_rng(1)
    record = sculpting(mjj, labels, rng.random(len(mjj)) < 0.05)  # 10k random events pass
    assert record["bins"] == 20 and record["n_background"] == 200_000
    assert abs(record["n_background_passing"] - 10_000) < 400
    # 20 bins of ~500 events: statistical JS distance ~0.02; a real sculpting is an order of magnitude above
    assert record["js_distance"] < 0.04
    assert record["js_distance"] == pytest.approx(record["js_random_cut"], rel=0.5)  # at the statistical floor


def test_random_cut_floor_shrinks_with_the_events_passing() -> None:
    mjj, labels = mjj_sample(5000)
    rng = np.random.default_rng(2)
    small, large = (sculpting(mjj, labels, rng.random(5000) < f)["js_random_cut"] for f in (0.011, 0.07))
    # multinomial noise in 20 bins: ~0.27 for 55 events, ~0.10 for 350 (simulated separately)
    assert small == pytest.approx(0.27, abs=0.04) and large == pytest.approx(0.10, abs=0.02)


def test_a_cut_on_mjj_itself_gives_a_large_distance() -> None:
    mjj, labels = mjj_sample(20_000)
    record = sculpting(mjj, labels, mjj > np.quantile(mjj, 0.9))
    # the top 10 %: the last two of the 20 equal-count bins hold every passing event, the rest none
    p, q = np.full(20, 1 / 20), np.r_[np.zeros(18), 0.5, 0.5]
    assert record["js_distance"] == pytest.approx(jensenshannon(p, q, base=2), abs=0.01)
    assert record["js_distance"] > 0.8 > 5 * record["js_random_cut"]


def test_distance_is_withheld_below_ten_passing_background_events() -> None:
    mjj, labels = mjj_sample(1000)
    order = np.argsort(mjj)
    few = np.zeros(1000, bool)
    few[order[: MIN_BACKGROUND_PASSING - 1]] = True
    record = sculpting(mjj, labels, few)
    assert record["js_distance"] is None and record["n_background_passing"] == 9
    few[order[MIN_BACKGROUND_PASSING - 1]] = True
    assert sculpting(mjj, labels, few)["js_distance"] > 0.5


def test_signal_events_neither_set_the_bins_nor_count_as_passing() -> None:
    mjj, _ = mjj_sample(400)
    values = np.r_[mjj, np.full(100, 3500.0)]
    labels = np.repeat([0, 1], [400, 100])
    passing = np.r_[np.ones(400, bool), np.ones(100, bool)]
    record = sculpting(values, labels, passing)
    assert record["n_background_passing"] == 400 and record["js_distance"] == pytest.approx(0.0, abs=1e-12)


def test_js_distance_matches_scipy_on_a_hand_built_case() -> None:
    before = np.array([0.5, 1.5, 1.5, 2.5, 2.5, 2.5, 3.5])
    after = np.array([2.5, 3.5, 3.5])
    edges = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    expected = jensenshannon([1, 2, 3, 1], [0, 0, 1, 2], base=2)
    assert js_distance(before, after, edges) == pytest.approx(expected, abs=1e-12)
    # equal-count edges of the background: each bin holds the same number of events
    counts, _ = np.histogram(mjj_sample(2000)[0], equal_count_edges(mjj_sample(2000)[0], 20))
    assert counts.min() >= 99 and counts.max() <= 101


def test_metrics_hold_the_sculpting_record_at_the_policy_threshold() -> None:
    rng = np.random.default_rng(3)
    labels = np.repeat([0, 1], [3000, 500])
    mjj = np.r_[mjj_sample(3000, 4)[0], rng.normal(3500, 200, 500)]
    score = mjj / 1000 + rng.normal(0, 0.5, len(mjj))  # sculpts: the score grows with mjj
    scores = {"val": score[:3000] + rng.normal(0, 0.01, 3000), "val_signal": score[3000:], "test": score}
    flat = {**scores, "val": rng.normal(size=3000), "test": rng.normal(size=3500)}  # a cut blind to mjj
    ev = evaluate(FprThreshold(0.1), scores, labels, {"flat": flat}, sculpted=SculptedVariable("mjj", mjj))
    rec = ev.model.metrics["sculpting"]
    passing = score > ev.model.threshold
    assert rec["variable"] == "mjj" and rec["n_background_passing"] == int(passing[labels == 0].sum())
    assert rec["js_distance"] == pytest.approx(sculpting(mjj, labels, passing)["js_distance"])
    assert rec["js_distance"] > 3 * ev.references["flat"].metrics["sculpting"]["js_distance"]
    effs = [r["signal_efficiency"] for r in rec["at_signal_efficiency"]]
    assert effs == [0.1, 0.3, 0.5]
    assert [r["tpr"] for r in rec["at_signal_efficiency"]] == pytest.approx(effs, abs=0.01)
    assert "sculpting" not in evaluate(FprThreshold(0.1), scores, labels).model.metrics  # off by default


def test_the_configured_variable_is_taken_from_the_test_extras_when_present() -> None:
    extras = {"mjj": np.arange(5.0), "process": np.zeros(5, int)}
    assert sculpted_variable("mjj", extras).name == "mjj"
    assert sculpted_variable(None, extras) is None
    assert sculpted_variable("snr", extras) is None


def test_table_gives_a_row_per_run_and_mean_and_std_per_task(tmp_path: Path) -> None:
    for i, (js, n) in enumerate([(0.2, 100), (0.4, 120), (None, 5)]):
        floor = None if js is None else 0.1
        run = tmp_path / f"run{i}"
        run.mkdir()
        task = "lhco_hlf" if i < 2 else "lhco_disco"
        record = {"variable": "mjj", "js_distance": js, "js_random_cut": floor, "n_background_passing": n}
        m = {"task": task, "auroc": 0.7, "max_sic": 2.0, "tpr_at_fpr": 0.3, "sculpting": record}
        (run / "metrics.json").write_text(json.dumps(m))
    runs = sorted(tmp_path.glob("run*"))
    table = sculpting_table(runs, mean=True)
    assert "JS distance of mjj" in table.splitlines()[0]
    row = "| lhco_hlf (2) | 0.700 ± 0.000 | 2.00 ± 0.00 | 0.300 ± 0.000 | 110 ± 14 | 0.300 ± 0.141 | 0.100 ± 0.000 |"
    assert row in table
    assert table.splitlines()[-1].endswith("| 5 | - | - |")  # withheld distance
    assert len(sculpting_table(runs).splitlines()) == 2 + 3
