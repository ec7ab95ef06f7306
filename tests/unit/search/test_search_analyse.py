"""`analyse` on scanner outputs written by the test (no model): loud windows at the injections' arrival times are
found per detector and in coincidence, the noise-only scan sets the thresholds, and the report says so; bad
arguments are one line naming the key."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.scan.writers import ScoresWriter
from anomaly_lab.search.__main__ import cli
from anomaly_lab.search.analyse import analyse
from anomaly_lab.search.options import parse_analyse, parse_simulate

GPS, SECONDS, STRIDE, WINDOW = 1_200_000_000.0, 600.0, 0.0625, 0.25
INJ_GEO = GPS + np.arange(20.0, 580.0, 28.0)  # 20 injections
DELAY = {"H1": 0.004, "L1": -0.003}


def write_scan(path: Path, loud: bool, seed: int) -> Path:
    """A scores.h5 as the scanner writes it for one H1 and one L1 file: correlated noise scores, and with `loud`
    a score of 8 in the windows whose centre lies within a stride of each injection's arrival time."""
    rng = np.random.default_rng(seed)
    starts = GPS + np.arange(int(SECONDS / STRIDE)) * STRIDE
    with ScoresWriter(path / "scores.h5", {"gps_start": np.float64, "score": np.float64, "file_index": np.int32}) as w:
        for i, det in enumerate(("H1", "L1")):
            score = np.convolve(rng.standard_normal(len(starts) + 3), np.ones(4) / 2, mode="valid")
            if loud:
                arrival = INJ_GEO + DELAY[det]
                centre = starts + WINDOW / 2
                score[np.min(np.abs(centre[:, None] - arrival[None, :]), axis=1) < STRIDE] = 8.0
            w.append({"gps_start": starts, "score": score, "file_index": np.full(len(starts), i, np.int32)})
        w.attrs = {"detectors": json.dumps(["H1", "L1"]), "stride": STRIDE, "window": WINDOW, "threshold": 1.0}
    return path


def write_injections(path: Path) -> Path:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["gps_geocent", "gps_H1", "gps_L1", "snr_H1", "snr_L1", "snr_network"])
        for i, t in enumerate(INJ_GEO):
            out.writerow([t, t + DELAY["H1"], t + DELAY["L1"], 10.0, 10.0 + i, np.hypot(10.0, 10.0 + i)])
    return path


@pytest.fixture
def scans(tmp_path: Path) -> dict[str, Path]:
    return {"noise": write_scan(tmp_path / "noise", False, 0), "injected": write_scan(tmp_path / "injected", True, 0),
            "injections": write_injections(tmp_path / "injections.csv"), "output": tmp_path / "out"}  # fmt: skip


def test_loud_injections_are_found_everywhere_at_the_noise_thresholds(scans: dict[str, Path]) -> None:
    argv = [f"{k}={v}" for k, v in scans.items()] + ["slides=20", "far=10", "single_far=20", "trigger_far=200"]
    analyse(parse_analyse(argv))
    summary = json.loads((scans["output"] / "summary.json").read_text())
    for det in ("H1", "L1"):
        r = summary["detectors"][det]
        assert r["found"]["k"] == 20 and r["live_s"] == pytest.approx(SECONDS)
        assert r["far_per_hour"] <= 20 and r["trigger_far_per_hour"] <= 200 and r["threshold"] > r["trigger_threshold"]
    c = summary["coincidence"]
    assert c["found"]["k"] == 20 and c["zero_lag_injected"] >= 20
    assert c["slid_live_s"] == pytest.approx(40 * SECONDS)  # one window centre every stride, 40 slides
    assert c["far_per_hour"] <= 10 and c["window_s"] == pytest.approx(0.01001 + 0.125, abs=1e-4)
    with open(scans["output"] / "efficiency.csv") as f:
        bins = list(csv.DictReader(f))
    assert sum(int(b["n"]) for b in bins) == 20 and sum(int(b["coincident_k"]) for b in bins) == 20
    page = (scans["output"] / "search.md").read_text()
    assert "light travel 10.0 ms + tolerance 125.0 ms" in page and "20/20 = 1.000" in page


def test_noise_scan_as_injected_finds_nothing(scans: dict[str, Path]) -> None:
    argv = [f"{k}={v}" for k, v in scans.items() if k != "injected"] + [f"injected={scans['noise']}", "slides=20"]
    analyse(parse_analyse(argv))
    summary = json.loads((scans["output"] / "summary.json").read_text())
    assert summary["coincidence"]["found"]["k"] <= 1 and summary["coincidence"]["zero_lag_injected"] == summary[
        "coincidence"]["zero_lag_noise"]  # fmt: skip


def error_line(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        cli(argv)
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


def test_bad_arguments_are_one_line_naming_the_key(scans: dict[str, Path], capsys, tmp_path: Path) -> None:
    good = [f"{k}={v}" for k, v in scans.items()]
    assert "slides=many: expected a whole number" in error_line(capsys, ["analyse", *good, "slides=many"])
    assert "missing injections=" in error_line(capsys, ["analyse", *good[:2], good[3]])
    assert "noise=/nowhere: no such file" in error_line(capsys, ["analyse", *good[1:], "noise=/nowhere"])
    assert "unknown option 'speed'" in error_line(capsys, ["simulate", f"output={tmp_path}", "speed=2"])
    assert "sample_rate=100" in error_line(capsys, ["simulate", f"output={tmp_path}", "sample_rate=100"])
    assert "jitter_s=20.0" in error_line(capsys, ["simulate", f"output={tmp_path}", "jitter_s=20"])
    assert "snr_edges=[5.0, 3.0]" in error_line(capsys, ["analyse", *good, "snr_edges=[5,3]"])
    assert "'frobnicate': expected the command" in error_line(capsys, ["frobnicate"])
    assert "slide_s=30.0, slides=50" in error_line(capsys, ["analyse", *good, "slide_s=30"])  # 2 * 50 * 30 s > 600 s
    text = tmp_path / "notes.csv"
    text.write_text("a,b\n1,2\n")
    assert "notes.csv: columns" in error_line(capsys, ["analyse", *good[:2], f"injections={text}", good[3]])


def test_simulate_options_fill_the_stretch_and_the_plan(tmp_path: Path) -> None:
    cfg, plan, out = parse_simulate([f"output={tmp_path}", "sites=[H1,V1]", "duration_s=3600", "snr_min=5",
                                     "snr_reference=network"])  # fmt: skip
    assert (cfg.sites, cfg.duration_s, cfg.sample_rate, out) == (("H1", "V1"), 3600, 2048, tmp_path)
    assert (plan.snr_min, plan.snr_reference, plan.spacing_s) == (5.0, "network", 30.0)
    assert parse_simulate([f"output={tmp_path}", "injections=false"])[1] is None
