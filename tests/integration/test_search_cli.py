"""`python -m anomaly_lab.search` end to end: simulate a short two-detector stretch (noise only and injected), scan
both with a smoke-trained GW model, analyse: every number of the search comes out and agrees with itself."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from anomaly_lab.scan.__main__ import cli as scan_cli
from anomaly_lab.search.__main__ import cli as search_cli

ROOT = Path(__file__).resolve().parents[2]


def train_gw(root: Path) -> Path:
    """A smoke-trained GW run under `root` (as the scanner's tests make one); its last checkpoint."""
    env = os.environ | {"ANOMALY_LAB_ROOT": str(root), "WANDB_MODE": "offline", "HYDRA_FULL_ERROR": "0"}
    env.pop("ANOMALY_LAB_CACHE", None)
    proc = subprocess.run([sys.executable, "-m", "anomaly_lab", "experiment=gw_cnnae", "debug=smoke"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (metrics,) = root.glob("logs/**/metrics.json")
    return metrics.parent / "checkpoints" / "last.ckpt"


@pytest.mark.slow
def test_simulate_scan_analyse_end_to_end(tmp_path: Path, capsys) -> None:
    ckpt = train_gw(tmp_path / "train")
    sim = tmp_path / "sim"
    proc = subprocess.run([sys.executable, "-m", "anomaly_lab.search", "simulate", f"output={sim}", "duration_s=160",
                           "spacing_s=16", "jitter_s=2", "margin_s=10", "snr_min=15", "snr_max=30", "seed=3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "8 injections -> " in proc.stdout and "simulated 160 s of H1,L1 at 2048 Hz" in proc.stdout
    for kind in ("noise", "injected"):
        files = sorted((sim / kind).glob("*.hdf5"))
        assert [f.name[:2] for f in files] == ["H-", "L-"]
        scan_cli([f"ckpt={ckpt}", f"input=[{files[0]},{files[1]}]", f"output={tmp_path / kind}", "stride=0.125"])
    out = tmp_path / "search"
    search_cli(["analyse", f"noise={tmp_path / 'noise'}", f"injected={tmp_path / 'injected'}",
                f"injections={sim / 'injections.csv'}", f"output={out}", "slides=12", "single_far=200",
                "trigger_far=1000", "far=100", "found_s=0.2"])  # fmt: skip
    assert str(out / "search.md") in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_injections"] == 8
    for det in ("H1", "L1"):
        r = summary["detectors"][det]
        assert r["live_s"] == pytest.approx(160 - 8 + 0.125, abs=0.2)  # the scan's 8 s context, one window kept
        assert r["far_per_hour"] <= 200 and r["trigger_far_per_hour"] <= 1000
        assert r["found"]["k"] >= 4  # SNR 15-30 in H1: a smoke-trained model still sees most of them
    c = summary["coincidence"]
    assert c["slid_live_s"] == pytest.approx(24 * (c["span"][1] - c["span"][0]))
    assert c["far_per_hour"] <= 100 and c["zero_lag_injected"] >= c["found"]["k"] >= 3
    with open(out / "efficiency.csv") as f:
        assert sum(int(row["n"]) for row in csv.DictReader(f)) == 8
