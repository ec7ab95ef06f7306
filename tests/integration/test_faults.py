"""Faults during a run: a killed run resumes to the same result, a diverging loss stops cleanly, and a run
killed at any point leaves no file under a final name that is not whole."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import h5py
import matplotlib.image as mpimg
import pytest
import torch

from anomaly_lab.io import load_arrays

ROOT = Path(__file__).resolve().parents[2]
# four short epochs with early stopping off: long enough to kill inside epoch 2
TRAINING = ["experiment=gw_cnnae", "debug=smoke", "trainer.max_epochs=4", "callbacks.early_stopping=null",
            "data.sizes.train=512", "trainer.limit_train_batches=8"]  # fmt: skip


def start(tmp_path: Path, run_dir: Path, *overrides: str) -> subprocess.Popen:
    env = os.environ | {"ANOMALY_LAB_ROOT": str(tmp_path), "WANDB_MODE": "offline", "HYDRA_FULL_ERROR": "0"}
    env.pop("WANDB_API_KEY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "anomaly_lab", *overrides, f"hydra.run.dir={run_dir}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen) -> str:
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    return err


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], timeout: float = 300) -> bool:
    """SIGKILL the run as soon as `ready()` holds; False if the run ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.01)
    return False


def saved_epoch(ckpt: Path) -> int:
    try:
        return int(torch.load(ckpt, map_location="cpu", weights_only=True)["epoch"])
    except Exception:  # not there yet, or being renamed into place
        return -1


@pytest.mark.slow
def test_a_run_killed_mid_training_resumes_to_the_same_result(tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    finish(start(tmp_path, whole, *TRAINING))
    killed = tmp_path / "killed"
    last = killed / "checkpoints" / "last.ckpt"
    assert kill_when(start(tmp_path, killed, *TRAINING), lambda: saved_epoch(last) == 1), "run ended before the kill"
    assert not (killed / "metrics.json").exists()
    finish(start(tmp_path, killed, *TRAINING, "ckpt_path=last"))
    a, b = (json.loads((d / "metrics.json").read_text()) for d in (whole, killed))
    for key in ("auroc", "threshold", "tpr_at_fpr", "fpr_at_threshold", "average_precision"):
        assert b[key] == pytest.approx(a[key], rel=1e-6, abs=1e-9), key
    assert Path(b["checkpoint"]).parent == killed / "checkpoints"


@pytest.mark.slow
def test_resuming_without_a_checkpoint_says_how(tmp_path: Path) -> None:
    proc = start(tmp_path, tmp_path / "fresh", "experiment=gw_cnnae", "debug=smoke", "ckpt_path=last")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert err.strip().splitlines()[-1].startswith("error: ckpt_path=last: no ") and "hydra.run.dir=" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_a_diverging_loss_stops_training_and_writes_no_results(tmp_path: Path) -> None:
    run = tmp_path / "nan"
    proc = start(tmp_path, run, "experiment=gw_cnnae", "debug=smoke", "model.optimizer.lr=1e30")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err[-2000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: training loss is") and "at epoch 0, step" in last and "model.optimizer.lr" in last
    assert not any((run / name).exists() for name in ("metrics.json", "scores.h5", "report.md", "roc.png"))


def whole_or_absent(path: Path) -> None:
    """Every file under a final name reads completely (hidden temp files of atomic writes are not final)."""
    for f in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if f.suffix == ".json":
            json.loads(f.read_text())
        elif f.suffix == ".h5":
            if f.name == "scores.h5" or f.parent.name == "cache":
                load_arrays(f)
            else:
                h5py.File(f, "r").close()
        elif f.suffix == ".png":
            assert mpimg.imread(f).size > 0
        elif f.suffix == ".ckpt":
            assert "state_dict" in torch.load(f, map_location="cpu", weights_only=True)
        elif f.name == "report.md":
            assert f.read_text().endswith("\n")


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["cache", "checkpoint", "scores", "figure"])
def test_a_run_killed_at_any_point_leaves_only_whole_files(tmp_path: Path, moment: str) -> None:
    run = tmp_path / "run"
    marks = {
        "cache": lambda: any((tmp_path / ".cache" / "anomaly_lab").glob("*.h5")),
        "checkpoint": lambda: (run / "checkpoints").is_dir() and any((run / "checkpoints").iterdir()),
        "scores": lambda: (run / "scores.h5").exists(),
        "figure": lambda: any(run.glob("*.png")),
    }
    kill_when(start(tmp_path, run, "experiment=gw_cnnae", "debug=smoke"), marks[moment])
    whole_or_absent(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("override", "expected"),
    [("model.net.encoder_channels=[128,64]", "trained with another model size or data shape"),
     ("data.window_s=0.5", "fitted on samples of shape (512,), this data config gives (1024,)")],
    ids=["model", "data"],
)  # fmt: skip
def test_a_checkpoint_from_another_model_or_data_shape_is_one_line(
    tmp_path: Path, override: str, expected: str
) -> None:
    trained = tmp_path / "trained"
    finish(start(tmp_path, trained, "experiment=gw_cnnae", "debug=smoke"))
    ckpt = trained / "checkpoints" / "last.ckpt"
    proc = start(tmp_path, tmp_path / "score", "experiment=gw_cnnae", "debug=smoke", "train=false",
                 f"ckpt_path={ckpt}", override)  # fmt: skip
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and expected in last and "Traceback" not in err
