"""Jet-image DataModule on reference-format files: splits per direction, supervised mode, errors, PCA reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.data.jets.datamodule import JetImageDataModule, jet_mass
from anomaly_lab.data.jets.toptag_format import TopTagFormatError, jet_frame, write_jets
from anomaly_lab.evaluation.references import PCAReference

SIZES = {"train": 40, "val": 10, "val_signal": 8, "test_background": 12, "test_signal": 9}


def reference_files(tmp_path: Path, n: int = 100) -> dict[str, str]:
    """train/val/test files with n jets each, half labelled top; top jets are wider sprays with more pT spread."""
    rng = np.random.default_rng(0)
    files = {}
    for i, name in enumerate(("train", "val", "test")):
        labels = rng.permutation(np.arange(n) % 2)
        width = np.where(labels == 1, 0.3, 0.05)[:, None]
        pt = rng.exponential(10.0, (n, 200))
        pt[:, 60:] = 0.0
        eta, phi = rng.normal(0, 1, (n, 200)) * width, rng.normal(0, 1, (n, 200)) * width
        p4 = np.stack([pt * np.cosh(eta), pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], -1)
        p4[pt == 0] = 0.0
        path = write_jets(tmp_path / f"{name}.h5", [jet_frame(p4.astype(np.float32), np.zeros((n, 4)), labels, i)])
        files[name] = str(path)
    return files


def test_splits_follow_the_background_choice(tmp_path: Path) -> None:
    files = reference_files(tmp_path)
    for background in ("qcd", "top"):
        dm = JetImageDataModule(source="files", files=files, background=background, cache_dir=str(tmp_path / "c"),
                                references={"pca": PCAReference(4)}, sizes=SIZES)  # fmt: skip
        dm.setup()
        a = dm.arrays
        assert a["train"].shape == (40, 25, 25) and len(a["val"]) == 10 and len(a["val_signal"]) == 8
        assert list(np.bincount(a["test_labels"])) == [12, 9]
        assert "train_labels" not in a and not dm.supervised
        # training jets are the narrow ones (QCD in these files: peaked images) or the wide ones (top)
        peak = {split: a[split].max(axis=(1, 2)).mean() for split in ("train", "val_signal")}
        assert (peak["train"] > peak["val_signal"]) == (background == "qcd")
        assert np.all(a["test_n_constituents"] == 60)
        refs = dm.reference_scores()
        ((name, scores),) = refs.items()
        assert name == "PCA (4 components)" and scores["test"].shape == (21,)
    assert dm.describe()[2] == "Background: top jets; anomalies: QCD jets."


def test_supervised_mode_trains_on_both_labelled_classes(tmp_path: Path) -> None:
    dm = JetImageDataModule(source="files", files=reference_files(tmp_path), supervised=True,
                            cache_dir=str(tmp_path / "c"), sizes=SIZES)  # fmt: skip
    dm.setup()
    assert dm.supervised and list(np.bincount(dm.arrays["train_labels"])) == [40, 40]
    _, y = next(iter(dm.val_dataloader()))
    assert set(y.tolist()) == {0, 1}  # validated on background and signal
    assert len(dm.val_dataloader().dataset) == 18


def test_too_few_jets_in_a_file_is_a_clear_error(tmp_path: Path) -> None:
    dm = JetImageDataModule(source="files", files=reference_files(tmp_path, n=60), cache_dir=str(tmp_path / "c"),
                            sizes=SIZES)  # fmt: skip
    with pytest.raises(TopTagFormatError, match="train.h5: has only"):
        dm.setup()


def test_files_source_needs_all_three_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="data.files"):
        JetImageDataModule(source="files", files={"train": "a.h5"}, sizes=SIZES)


def test_jet_mass_of_two_back_to_back_photons() -> None:
    p4 = np.array([[[100.0, 100.0, 0, 0], [100.0, -100.0, 0, 0], [0, 0, 0, 0]]])
    np.testing.assert_allclose(jet_mass(p4), [200.0])
