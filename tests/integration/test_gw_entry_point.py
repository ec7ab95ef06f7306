"""The real entry point on tiny GW settings: one run writes every artifact and its numbers recompute from
scores.h5; threshold policies, loggers and multirun compose; bad configs fail before any data is made (DDP:
test_ddp.py; every bad override: tests/unit/test_config.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from anomaly_lab.config import register_schemas
from anomaly_lab.io import load_attrs
from anomaly_lab.train import CONFIG_DIR

SMOKE = ("experiment=gw_cnnae", "debug=smoke")


@pytest.mark.slow
def test_smoke_run_writes_every_artifact_and_its_numbers_recompute(
    run_cli, only_run_dir, recorded_numbers, tmp_path: Path
) -> None:
    proc = run_cli(*SMOKE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = only_run_dir()
    m, arrays, threshold = recorded_numbers(run)
    assert (m["policy"], m["target_fpr"], m["n_test_background"], m["n_test_signal"]) == ("fpr", 0.05, 128, 128)
    assert {"score", "label", "snr", "snr_full"} <= set(arrays)
    bank = "template bank (300 BBH templates)"
    assert set(m["references"]) == {"ideal filter (exact template)", "excess power", bank}
    assert arrays["score"].shape == (256,) and list(arrays["label"]) == [0] * 128 + [1] * 128
    # the ideal filter knows each waveform: at SNR 8-20 it separates the classes, better than a one-epoch CAE; the
    # bank pays for searching 300 templates, lags and phases but still beats excess power on BBHs
    ideal = m["references"]["ideal filter (exact template)"]["auroc"]
    assert ideal > 0.99 and ideal > m["auroc"]
    assert m["references"][bank]["auroc"] >= m["references"]["excess power"]["auroc"]
    # the efficiency per SNR bin counts the saved injections above the threshold
    flagged = (arrays["score"] > threshold) & (arrays["label"] == 1)
    for row in m["efficiency"]["autoencoder"]:
        in_bin = (arrays["snr"] >= row["lo"]) & (arrays["snr"] < row["hi"]) & (arrays["label"] == 1)
        assert (row["n"], row["n_flagged"]) == (in_bin.sum(), (flagged & in_bin).sum()), row
    assert sum(row["n"] for row in m["efficiency"]["autoencoder"]) == 128  # SNR 8-20: every injection in a bin
    # binned on the whole waveform's SNR too, which is never below the window's share of it
    by_full = m["efficiency_by"]["autoencoder"]["snr_full"]["all"]
    for row in by_full:
        in_bin = (arrays["snr_full"] >= row["lo"]) & (arrays["snr_full"] < row["hi"]) & (arrays["label"] == 1)
        assert (row["n"], row["n_flagged"]) == (in_bin.sum(), (flagged & in_bin).sum()), row
    assert np.all(arrays["snr_full"][arrays["label"] == 1] >= 0.99 * arrays["snr"][arrays["label"] == 1])
    assert m["binned_distributions"]["snr"]["q10"] >= 8 and m["binned_distributions"]["snr"]["q90"] <= 20
    for fig in ("score_histograms", "roc", "training", "example_window", "efficiency", "precision_recall", "sic"):
        assert (run / f"{fig}.png").stat().st_size > 1000, fig
    report = (run / "report.md").read_text()
    assert "flagged anomalous" in report and "injected GW" in report and "ideal filter" in report
    assert "Detection efficiency against snr_full" in report
    assert "optimal SNR of the whitened signal inside the window" in report

    # the checkpoint is plain data (loads with weights_only) and carries the transform fitted on training noise
    ckpt = torch.load(m["checkpoint"], map_location="cpu", weights_only=True)
    assert set(ckpt["GWDataModule"]["transform"]) == {"mean", "std"}
    assert (run / "checkpoints" / "last.ckpt").is_file()

    # scoring the saved model again without training reproduces the run's numbers
    again = run_cli(*SMOKE, "train=false", f"ckpt_path={m['checkpoint']}")
    assert again.returncode == 0, again.stderr[-3000:]
    (rerun,) = [p.parent for p in tmp_path.glob("logs/**/metrics.json") if p.parent != run]
    m2 = json.loads((rerun / "metrics.json").read_text())
    assert (m2["auroc"], m2["threshold"], m2["tpr_at_fpr"]) == (m["auroc"], m["threshold"], m["tpr_at_fpr"])


@pytest.mark.slow
def test_a_threshold_policy_and_two_loggers_compose_in_one_run(run_cli, only_run_dir) -> None:
    proc = run_cli(*SMOKE, "threshold=percentile", "threshold.q=90", "logger=[tensorboard,wandb]",
                   "data.detector=advirgo", env={"WANDB_SILENT": "true"})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = only_run_dir()
    m = json.loads((run / "metrics.json").read_text())
    assert m["task"] == "gw_cnnae_advirgo"
    assert m["policy"] == "percentile" and m["target_fpr"] == pytest.approx(0.1)
    assert load_attrs(run / "scores.h5")["policy"] == "percentile"
    assert list((run / "tensorboard").rglob("events.out.tfevents*"))
    # W&B without an API key: offline, under the run directory, and the log says how to upload it
    assert list((run / "wandb").glob("offline-run-*"))
    assert "wandb sync" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_multirun_grid_runs_every_job_and_the_command_line_beats_debug(run_cli, tmp_path: Path) -> None:
    proc = run_cli("-m", *SMOKE, "threshold=fpr", "threshold.target_fpr=0.05,0.1", "trainer.limit_train_batches=2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = sorted(tmp_path.glob("logs/**/multiruns/*/*/metrics.json"))
    assert [json.loads(p.read_text())["target_fpr"] for p in results] == [0.05, 0.1]
    # two training batches per epoch (the command line), not smoke's four: the first validation is at step 1
    with open(results[0].parent / "csv" / "metrics.csv") as f:
        epoch_rows = [row for row in csv.DictReader(f) if row["val_loss"]]
    assert epoch_rows[0]["step"] == "1"


@pytest.mark.slow
def test_plus_experiment_alias_composes_like_experiment(run_cli) -> None:
    # the spelling of earlier releases, through the real entry point, against `experiment=` composed here
    proc = run_cli("+experiment=gw_cnnae", "debug=smoke", "--cfg", "job")
    assert proc.returncode == 0, proc.stderr[-3000:]
    register_schemas()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        expected = compose(config_name="train", overrides=["experiment=gw_cnnae", "debug=smoke"])
    assert proc.stdout == OmegaConf.to_yaml(expected)
    # the experiment applied (its task name), and debug=smoke over it (one epoch, not the experiment's 15)
    assert "task_name: gw_cnnae_${data.detector}" in proc.stdout and "  max_epochs: 1\n" in proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("data=nosuchdata", "Could not find 'data/nosuchdata'"),
        ("data.sizes.train=many", "sizes.train"),
    ],
)
def test_bad_config_fails_at_start_before_any_data_is_made(
    run_cli, tmp_path: Path, override: str, message: str
) -> None:
    proc = run_cli(*SMOKE, override)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert not (tmp_path / ".cache").exists()


@pytest.mark.slow
def test_families_run_reports_each_family_on_both_snr_definitions(run_cli, only_run_dir, recorded_numbers) -> None:
    proc = run_cli("experiment=gw_families", "debug=smoke")
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = only_run_dir()
    m, arrays, threshold = recorded_numbers(run)
    families = ["bbh", "sine_gaussian", "gaussian_pulse", "wnb", "ringdown", "blip", "scattered_light"]
    assert list(m["signals"]["autoencoder"]) == families
    codes = arrays["process"]
    flagged = (arrays["score"] > threshold) & (arrays["label"] == 1)
    for variable in ("snr", "snr_full"):
        for i, family in enumerate(families, start=1):
            rows = m["efficiency_by"]["excess power"][variable][family]
            binned = (codes == i) & (arrays[variable] >= rows[0]["lo"]) & (arrays[variable] < rows[-1]["hi"])
            assert sum(r["n"] for r in rows) == binned.sum() >= 0.5 * (codes == i).sum()
            model_rows = m["efficiency_by"]["autoencoder"][variable][family]
            assert sum(r["n_flagged"] for r in model_rows) == (flagged & binned).sum()
    # windows are scaled to SNR 4-20 inside the window; an arch lasting seconds has far more outside it
    sig = arrays["label"] == 1
    assert arrays["snr"][sig].min() >= 4 and arrays["snr"][sig].max() <= 20
    arch = codes == families.index("scattered_light") + 1
    assert np.median(arrays["snr_full"][arch] / arrays["snr"][arch]) > 2
    for variable in ("snr", "snr_full"):
        assert (run / f"efficiency_by_signal_{variable}.png").stat().st_size > 1000
    assert "Detection efficiency against snr_full, ringdown only" in (run / "report.md").read_text()
