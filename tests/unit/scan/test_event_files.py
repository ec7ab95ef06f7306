"""Event files for the scanner: each data module streams a file's raw samples, in its split arrays' layout, with
labels (1 = the run's anomaly) when the file has them; a dataset without event files says so in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.benchmarks.lhco_reader import synthetic_events
from anomaly_lab.data.gw.datamodule import GWDataModule
from anomaly_lab.data.jets.datamodule import JetImageDataModule, jet_mass
from anomaly_lab.data.jets.toptag_format import TopTagFormatError, iter_jets, jet_frame, write_jets
from anomaly_lab.data.lhco.datamodule import LHCODataModule
from anomaly_lab.data.lhco.highlevel import high_level_features
from anomaly_lab.data.lhco.particles import detector_view, model_particles
from anomaly_lab.data.lhco.rnd_format import LhcoFormatError, iter_events, write_events

SIZES = dict.fromkeys(("train", "val", "val_signal", "test_background", "test_signal"), 1)


def jets_file(path: Path, n: int = 70) -> Path:
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 2
    pt = rng.exponential(10.0, (n, 200))
    pt[:, 40:] = 0.0
    eta, phi = rng.normal(0, 0.2, (n, 200)), rng.normal(0, 0.2, (n, 200))
    p4 = np.stack([pt * np.cosh(eta), pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], -1)
    p4[pt == 0] = 0.0
    return write_jets(path, [jet_frame(p4.astype(np.float32), np.zeros((n, 4)), labels, 1)])


def lhco_file(path: Path, n: int = 25, labelled: bool = True) -> Path:
    particles, labels = synthetic_events(n, np.random.default_rng(1))
    return write_events(path, particles, labels if labelled else None)


@pytest.mark.parametrize("background", ["qcd", "top"])
def test_jet_files_stream_as_images_with_anomaly_labels(tmp_path: Path, background: str) -> None:
    path = jets_file(tmp_path / "test.h5")
    dm = JetImageDataModule(source="files", files={k: str(path) for k in ("train", "val", "test")},
                            background=background, sizes=SIZES)  # fmt: skip
    chunks = list(dm.file_samples(path, 30))
    assert [len(x) for x, _ in chunks] == [30, 30, 10]
    images = np.concatenate([x for x, _ in chunks])
    ((p4, is_top),) = iter_jets(path, 100)
    np.testing.assert_array_equal(images, dm.image(p4))  # what training's arrays hold for these jets
    labels = np.concatenate([e["labels"] for _, e in chunks])
    np.testing.assert_array_equal(labels, is_top if background == "qcd" else 1 - is_top)
    np.testing.assert_allclose(np.concatenate([e["mass"] for _, e in chunks]), jet_mass(p4))
    assert set(chunks[0][1]) == {"labels", "mass", "n_constituents"}


def test_lhco_files_stream_as_leading_particles_with_labels_when_present(tmp_path: Path) -> None:
    path, box = lhco_file(tmp_path / "rnd.h5"), lhco_file(tmp_path / "box.h5", labelled=False)
    dm = LHCODataModule(source="files", path=str(path), max_particles=50, sizes=SIZES)
    chunks = list(dm.file_samples(path, 10))
    ((particles, labels),) = iter_events(path, 100)
    assert [x.shape for x, _ in chunks] == [(10, 50, 3), (10, 50, 3), (5, 50, 3)]
    # prepared as training's arrays are: the acceptance, then the leading-jet frame, then the leading 50
    prepared = model_particles(detector_view(particles, dm.particles), dm.particles, dm.physics.jet_radius)
    assert not np.array_equal(prepared[:, :50], particles[:, :50])  # the preparation did something to compare
    np.testing.assert_array_equal(np.concatenate([x for x, _ in chunks]), prepared[:, :50])
    np.testing.assert_array_equal(np.concatenate([e["labels"] for _, e in chunks]), labels)
    assert all(extras == {} for _, extras in dm.file_samples(box, 10))  # a black box has no labels


def test_lhco_high_level_runs_get_features_and_mjj(tmp_path: Path) -> None:
    path = lhco_file(tmp_path / "rnd.h5", n=6)
    dm = LHCODataModule(source="files", path=str(path), representation="hlf", sizes=SIZES)
    ((x, extras),) = dm.file_samples(path, 10)
    ((particles, _),) = iter_events(path, 10)
    expected = high_level_features(detector_view(particles, dm.particles), dm.physics.jet_radius)  # accepted ones
    assert x.dtype == np.float32 and x.shape == (6, 5)
    np.testing.assert_allclose(x, expected.astype(np.float32))
    np.testing.assert_array_equal(extras["mjj"], expected[:, 0])


def test_a_file_of_another_dataset_is_one_line_naming_file_and_key(tmp_path: Path) -> None:
    lhco, jets = lhco_file(tmp_path / "rnd.h5"), jets_file(tmp_path / "jets.h5")
    jet_dm = JetImageDataModule(source="files", files={k: str(jets) for k in ("train", "val", "test")}, sizes=SIZES)
    with pytest.raises(TopTagFormatError, match=r"rnd.h5: no key 'table'"):
        next(jet_dm.file_samples(lhco, 10))
    lhco_dm = LHCODataModule(source="files", path=str(lhco), sizes=SIZES)
    with pytest.raises(LhcoFormatError, match=r"jets.h5: no key 'df'"):
        next(lhco_dm.file_samples(jets, 10))


def test_strain_runs_have_no_event_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="GWDataModule has no event files to scan"):
        GWDataModule(sizes=SIZES).file_samples(tmp_path / "x.h5", 10)
