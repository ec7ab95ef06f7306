"""The ADC2021 studies through the real entry point on files in the public format: every signal reported on its own,
the VAE's three scores compared, a black box scanned without labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from anomaly_lab.data.adc2021.objects_format import ObjectWriter, write_objects
from anomaly_lab.io import load_arrays
from anomaly_lab.scan.__main__ import cli as scan_cli
from tests.writers import adc2021_events

SIGNALS = ("Ato4l", "leptoquark", "hToTauTau", "hChToTauNu")


def _files(root: Path) -> list[str]:
    """Public-format files (background and four signals with harder leptons); their command-line options."""
    write_objects(root / "background_for_training.h5", adc2021_events(1200, seed=1))
    args = ["data.source=files", f"data.files.background={root / 'background_for_training.h5'}"]
    for i, name in enumerate(SIGNALS):
        write_objects(root / f"{name}.h5", adc2021_events(300, seed=10 + i, lepton_scale=60 + 30 * i))
        args.append(f"+data.files.signals.{name}={root / f'{name}.h5'}")
    return args


@pytest.mark.slow
def test_vae_reports_every_signal_and_score_and_scans_a_black_box(
    run_cli, recorded_numbers, only_run_dir, tmp_path: Path, capsys
) -> None:
    proc = run_cli("+experiment=adc2021_vae", "debug=smoke", "data.sizes.test_background=400", *_files(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = only_run_dir()
    m, arrays, threshold = recorded_numbers(run)
    model = "adc2021_vae, kl score"
    assert set(m["signals"]) == {
        model,
        "PCA (3 components)",
        "same model, reconstruction score",
        "same model, mu2 score",
    }
    process = arrays["process"]
    for scorer, by_signal in m["signals"].items():
        scores = arrays["score"] if scorer == model else arrays[f"reference/{scorer}"]
        assert list(by_signal) == list(SIGNALS)
        for code, name in enumerate(SIGNALS, start=1):
            sel = (process == 0) | (process == code)
            assert by_signal[name]["auroc"] == pytest.approx(roc_auc_score(process[sel] == code, scores[sel]))
            assert (by_signal[name]["n_signal"], by_signal[name]["n_background"]) == (128, 400)
            assert by_signal[name]["operating_points"] == []  # 400 background events bound no FPR of 1e-3
    # the three scores of one trained model differ; the harder-lepton signals stand out on reconstruction
    assert len({round(m["signals"][s]["hChToTauNu"]["auroc"], 6) for s in m["signals"]}) == 4
    report = (run / "report.md").read_text()
    assert (
        "Per signal, against 400 test background events" in report and "| hChToTauNu | PCA (3 components) |" in report
    )
    for fig in ("roc_by_signal", "score_histograms_by_process", "latent", "feature_reconstruction_signal"):
        assert (run / f"{fig}.png").stat().st_size > 1000, fig

    # a black box (EvtId, no labels) through the scanner with the run's threshold
    box = tmp_path / "BlackBox.h5"
    with ObjectWriter(box, event_ids=True) as w:
        w.append(adc2021_events(250, seed=50), ids=np.arange(1000, 1250))
    scan_cli([f"ckpt={run / 'checkpoints' / 'last.ckpt'}", f"input={box}", f"output={tmp_path / 'scan'}"])
    scanned = load_arrays(tmp_path / "scan" / "scores.h5")
    assert set(scanned) == {"score", "above_threshold", "file_index", "event_id"}
    np.testing.assert_array_equal(scanned["event_id"], np.arange(1000, 1250))
    frac = np.mean(scanned["score"] > threshold)
    assert f"{box}: 250 events, {frac:.2%} above threshold" in capsys.readouterr().out
    assert (tmp_path / "scan" / "score_histograms.png").stat().st_size > 1000  # its score distribution


@pytest.mark.slow
def test_autoencoder_runs_on_the_same_files(run_cli, only_run_dir, tmp_path: Path) -> None:
    proc = run_cli("+experiment=adc2021_ae", "debug=smoke", *_files(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = json.loads((only_run_dir() / "metrics.json").read_text())
    assert set(m["signals"]) == {"adc2021_ae, reconstruction score", "PCA (3 components)"}
    assert m["references"].keys() == {"PCA (3 components)"}


def test_missing_signal_file_is_one_line(run_cli, tmp_path: Path) -> None:
    args = [a for a in _files(tmp_path) if "hToTauTau" not in a]
    proc = run_cli("+experiment=adc2021_vae", "debug=smoke", *args)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: data.source=files needs data.files.background=<background_for_training.h5> and "
        "+data.files.signals.<name>=<file> for every signal in data.signals (missing: ['hToTauTau'])"
    )


@pytest.mark.slow
def test_generated_events_run_end_to_end(run_cli, recorded_numbers, only_run_dir, tmp_path: Path) -> None:
    sizes = ("data.sizes.train=64", "data.sizes.val=32", "data.sizes.val_signal=16", "data.sizes.test_background=64",
             "data.sizes.test_signal=16")  # fmt: skip
    proc = run_cli("+experiment=adc2021_vae", "debug=smoke", *sizes)
    assert proc.returncode == 0, proc.stderr[-3000:]
    m, arrays, _ = recorded_numbers(only_run_dir())
    np.testing.assert_array_equal(np.bincount(arrays["process"]), [64, 16, 16, 16, 16])
    assert all(by["Ato4l"]["n_background"] == 64 for by in m["signals"].values())
    # one file per process in the public format, with the generator's statistics beside it
    files = sorted(
        p.name.split("-")[1] for p in tmp_path.glob(".cache/anomaly_lab/adc2021-*-*.h5") if "generated" not in p.name
    )
    assert files == sorted(["background", *SIGNALS])
    stats = [json.loads(p.read_text()) for p in tmp_path.glob(".cache/anomaly_lab/adc2021-background-*.json")]
    assert stats[0]["W"]["events"] + stats[0]["Z"]["events"] + stats[0]["ttbar"]["events"] == 64 + 32 + 64
    assert "Pythia 8 at 13 TeV" in (only_run_dir() / "report.md").read_text()
