"""`python -m anomaly_lab.scan` on smoke-trained checkpoints: a GW run scans noise and a loud burst in files of two
detectors (scores like the run's background, one trigger at the burst), an LHC Olympics run scores an event file;
bad input ends with one `error:` line and leaves no output behind. One scan runs as `python -m anomaly_lab.scan`, the
others call its `cli` in this process (what `python -m` runs), which saves a process start each."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from anomaly_lab.benchmarks.lhco_reader import synthetic_events
from anomaly_lab.data.lhco.rnd_format import write_events
from anomaly_lab.io import load_arrays, load_attrs
from anomaly_lab.scan.__main__ import cli as scan_cli
from anomaly_lab.scan.triggers import TRIGGER_COLUMNS
from tests.unit.scan.gw_files import GPS, burst_file
from tests.writers import write_gwosc_file

ROOT = Path(__file__).resolve().parents[2]
BURST_T0 = GPS + 30.3


def cli(root: Path, *args: str, module: str = "anomaly_lab.scan") -> subprocess.CompletedProcess:
    """`python -m <module> args` from the repository root, logs and caches under `root`, one-line errors."""
    env = os.environ | {"ANOMALY_LAB_ROOT": str(root), "WANDB_MODE": "offline", "HYDRA_FULL_ERROR": "0"}
    env.pop("ANOMALY_LAB_CACHE", None)
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip


def train(root: Path, *overrides: str) -> Path:
    """A smoke training run under `root`; its run directory."""
    proc = cli(root, *overrides, "debug=smoke", module="anomaly_lab")
    assert proc.returncode == 0, proc.stderr[-3000:]
    (metrics,) = root.glob("logs/**/metrics.json")
    return metrics.parent


@pytest.fixture(scope="module")
def gw_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train(tmp_path_factory.mktemp("gw-train"), "experiment=gw_cnnae")


@pytest.mark.slow
def test_gw_scan_scores_noise_like_the_run_and_finds_the_burst(gw_run: Path, tmp_path: Path) -> None:
    noise = write_gwosc_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-128.hdf5", duration_s=128, seed=7)
    burst = burst_file(tmp_path / "L-L1_GWOSC_4KHZ_R1-1126259446-64.hdf5", BURST_T0, snr=60, detector="L1")
    ckpt, out = gw_run / "checkpoints" / "last.ckpt", tmp_path / "scan"
    proc = cli(tmp_path, f"ckpt={ckpt}", f"input=[{noise},{burst}]", f"output={out}", "stride=0.25")
    assert proc.returncode == 0, proc.stderr[-3000:]
    for detector, seconds in (("H1", 128), ("L1", 64)):
        assert f"scanned {seconds} s of strain in " in proc.stdout and f"x real time ({detector})" in proc.stdout
    scores, attrs = load_arrays(out / "scores.h5"), load_attrs(out / "scores.h5")
    run_scores, run_threshold = load_arrays(gw_run / "scores.h5"), json.loads((gw_run / "metrics.json").read_text())
    assert attrs["threshold"] == run_threshold["threshold"] and attrs["detector"] == "H1,L1"
    assert (attrs["stride"], attrs["window"], json.loads(attrs["files"])) == (0.25, 0.25, [str(noise), str(burst)])
    # pure noise: scores distributed like the run's test background, about the run's 5 % above its threshold
    ours = scores["score"][scores["file_index"] == 0]
    background = run_scores["score"][run_scores["label"] == 0]
    assert len(ours) == 49 + 33 + 313  # valid stretches of 20, 16 and 86 s, windows every 0.25 s
    assert np.median(ours) == pytest.approx(np.median(background), rel=0.1)
    assert 0.005 < np.mean(ours > attrs["threshold"]) < 0.15
    # the burst: the loudest window of all by far, inside a trigger
    with open(out / "triggers.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[: len(TRIGGER_COLUMNS)] == list(TRIGGER_COLUMNS)
    loudest = max(rows, key=lambda r: float(r["score"]))
    assert loudest["detector"] == "L1" and float(loudest["gps_start"]) <= BURST_T0 <= float(loudest["gps_end"])
    assert float(loudest["score"]) > 3 * ours.max()

    # above a high threshold, at a fine stride, the burst is the only trigger (in this process: same code path)
    scan_cli([f"ckpt={ckpt}", f"input={burst}", f"output={out}", "stride=0.0625", "threshold=3"])
    with open(out / "triggers.csv") as f:
        (row,) = list(csv.DictReader(f))
    assert float(row["gps_start"]) <= BURST_T0 <= float(row["gps_end"]) and abs(float(row["gps_peak"]) - BURST_T0) < 0.2
    assert load_attrs(out / "scores.h5")["policy"] == "command line"


def scan_error(capsys: pytest.CaptureFixture, *args: str) -> str:
    """The scanner's one stderr line for arguments that must fail (exit status 1), as the command line prints it."""
    with pytest.raises(SystemExit) as exit_:
        scan_cli(list(args))
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


@pytest.mark.slow
def test_bad_input_is_one_line_and_leaves_no_output(gw_run: Path, tmp_path: Path, capsys) -> None:
    ckpt, out = gw_run / "checkpoints" / "last.ckpt", tmp_path / "out"
    good = write_gwosc_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-64.hdf5")
    text = tmp_path / "notes.hdf5"
    text.write_text("not hdf5\n")
    lhco = write_events(tmp_path / "events.h5", *synthetic_events(10, np.random.default_rng(0)))
    truncated = tmp_path / "H-H1_GWOSC_4KHZ_R1-1126263542-64.hdf5"
    truncated.write_bytes(good.read_bytes()[:100_000])
    cases = {
        f"input={tmp_path / 'missing.hdf5'}": "missing.hdf5: no such file",
        f"input={text}": "notes.hdf5: not an HDF5 file",
        f"input={lhco}": "events.h5: missing 'strain/Strain'",
        f"input=[{good},{truncated}]": "1126263542-64.hdf5: truncated HDF5 file",  # fails after the first file
    }
    for arg, message in cases.items():
        assert message in scan_error(capsys, f"ckpt={ckpt}", arg, f"output={out}"), arg
    assert not out.exists() or list(out.iterdir()) == []  # no scores.h5, no triggers.csv, no temporary file

    # a run that never wrote metrics.json has no threshold: the scanner asks for one
    bare = tmp_path / "bare-run"
    (bare / "checkpoints").mkdir(parents=True)
    shutil.copy(ckpt, bare / "checkpoints" / "last.ckpt")
    shutil.copytree(gw_run / ".hydra", bare / ".hydra")
    message = scan_error(capsys, f"ckpt={bare / 'checkpoints' / 'last.ckpt'}", f"input={good}", f"output={out}")
    assert "metrics.json holds no threshold" in message and "threshold=<score>" in message
    if not torch.cuda.is_available():
        assert "device=cuda: " in scan_error(capsys, f"ckpt={ckpt}", f"input={good}", f"output={out}", "device=cuda")
    assert "wrong.ckpt: no such file" in scan_error(capsys, f"ckpt={tmp_path / 'wrong.ckpt'}", f"input={good}",
                                                    f"output={out}")  # fmt: skip


@pytest.mark.slow
def test_lhco_scan_scores_every_event_with_the_run_threshold(tmp_path: Path, capsys) -> None:
    events = tmp_path / "events.h5"
    particles, labels = synthetic_events(400, np.random.default_rng(0))
    write_events(events, particles, (np.arange(400) % 2).astype(np.int64))
    sizes = ("data.sizes.train=64", "data.sizes.val=32", "data.sizes.val_signal=32",
             "data.sizes.test_background=64", "data.sizes.test_signal=64")  # fmt: skip
    run = train(tmp_path / "train", "experiment=lhco_vae", "data.source=files", f"data.path={events}",
                "data.max_particles=50", *sizes)  # fmt: skip
    out = tmp_path / "scan"
    scan_cli([f"ckpt={run / 'checkpoints' / 'last.ckpt'}", f"input={events}", f"output={out}", "chunk_events=150"])
    scores, attrs = load_arrays(out / "scores.h5"), load_attrs(out / "scores.h5")
    assert len(scores["score"]) == 400 and set(scores) == {"score", "above_threshold", "file_index", "labels"}
    threshold = json.loads((run / "metrics.json").read_text())["threshold"]
    assert attrs["threshold"] == threshold
    np.testing.assert_array_equal(scores["above_threshold"], scores["score"] > threshold)
    np.testing.assert_array_equal(scores["labels"], np.arange(400) % 2)
    auroc = roc_auc_score(scores["labels"], scores["score"])
    frac = np.mean(scores["score"] > threshold)
    summary = f"{events}: 400 events, {frac:.2%} above threshold {threshold:.6g}, AUROC {auroc:.4f}"
    assert summary in capsys.readouterr().out
