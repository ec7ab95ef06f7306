"""LHCO DataModule: splits streamed from an R&D-format file by label, cached, scaled; and generated events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.data.lhco.datamodule import LHCODataModule
from anomaly_lab.data.lhco.rnd_format import write_events


def labelled_file(path: Path, n_bg: int, n_sig: int) -> Path:
    """Background events carry eta > 0 in every real slot, signal eta < 0, mixed in one file."""
    rng = np.random.default_rng(0)
    particles = np.zeros((n_bg + n_sig, 700, 3), np.float32)
    particles[:, :40, 0] = np.sort(rng.exponential(50.0, (n_bg + n_sig, 40)), axis=1)[:, ::-1] + 1.0
    particles[:, :40, 1] = np.abs(rng.normal(0.0, 1.5, (n_bg + n_sig, 40))) + 0.01
    particles[:, :40, 2] = rng.uniform(-np.pi, np.pi, (n_bg + n_sig, 40))
    labels = np.r_[np.zeros(n_bg, int), np.ones(n_sig, int)]
    particles[labels == 1, :, 1] *= -1
    order = rng.permutation(len(labels))
    return write_events(path, particles[order], labels[order], chunk_size=37)


def sizes(**kw: int) -> dict[str, int]:
    return {"train": 50, "val": 20, "val_signal": 10, "test_background": 30, "test_signal": 10} | kw


def test_splits_come_from_the_file_by_label_and_are_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = labelled_file(tmp_path / "events_anomalydetection.h5", 120, 40)
    # the absolute frame keeps the sign of eta that tells the classes apart (the leading-jet frame would not)
    kw = dict(source="files", path=str(path), cache_dir=str(tmp_path / "cache"), chunk_size=25, max_particles=64,
              particles={"frame": "absolute"})  # fmt: skip
    dm = LHCODataModule(sizes=sizes(test_signal=0), test_signal_fraction=0.25, **kw)  # 30 * 0.25 / 0.75 = 10 signal
    dm.setup()
    a = dm.arrays
    assert a["train"].shape == (50, 64, 3) and a["train"].dtype == np.float32
    real = a["train"][..., 0] > 0
    assert np.all(a["train"][..., 1][real] > 0) and np.all(a["val"][..., 1][a["val"][..., 0] > 0] > 0)
    assert np.all(a["val_signal"][..., 1][a["val_signal"][..., 0] > 0] < 0)
    assert a["test_labels"].tolist() == [0] * 30 + [1] * 10 and a["test_mjj"].shape == (40,)
    assert set(dm.test_extras) == {"mjj"} and np.all(dm.test_extras["mjj"] > 0)
    x = dm.inputs("train")
    assert tuple(x.shape) == (50, 64, 4) and np.array_equal(x[..., 3].numpy(), real.astype(np.float32))
    assert any("test 30 background + 10 signal" in line for line in dm.describe())

    # the split arrays come from the cache once built: the events file is not read again
    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("read the events file despite the cache")

    monkeypatch.setattr("anomaly_lab.data.lhco.datamodule.iter_events", no_reading)
    again = LHCODataModule(sizes=sizes(test_signal=0), test_signal_fraction=0.25, **kw)
    again.setup()
    assert all(np.array_equal(again.arrays[k], v) for k, v in a.items())
    again.load_state_dict(dm.state_dict())
    assert np.array_equal(again.inputs("val").numpy(), dm.inputs("val").numpy())


def test_high_level_features_and_a_short_file(tmp_path: Path) -> None:
    path = labelled_file(tmp_path / "events.h5", 120, 40)
    kw = dict(source="files", path=str(path), chunk_size=25)
    hlf = LHCODataModule(representation="hlf", sizes=sizes(test_signal=5), cache_dir=str(tmp_path / "c1"), **kw)
    hlf.setup()
    assert tuple(hlf.inputs("test").shape) == (35, 5)
    np.testing.assert_allclose(hlf.test_extras["mjj"], hlf.arrays["test"][:, 0], rtol=1e-6)  # mjj: first feature
    short = LHCODataModule(sizes=sizes(train=500), cache_dir=str(tmp_path / "c2"), **kw)
    with pytest.raises(ValueError, match="too few events"):
        short.setup()


@pytest.mark.parametrize(("kw", "message"), [
    ({"representation": "images"}, "data.representation"),
    ({"n_features": 4}, "data.n_features"),
    ({"test_signal_fraction": 1.0}, "data.test_signal_fraction"),
])  # fmt: skip
def test_bad_settings_are_named(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LHCODataModule(sizes=sizes(), **kw)


def test_generated_events_with_tiny_sizes(tmp_path: Path) -> None:
    dm = LHCODataModule(sizes={"train": 3, "val": 1, "val_signal": 1, "test_background": 1, "test_signal": 1},
                        n_workers=1, cache_dir=str(tmp_path))  # fmt: skip
    dm.setup()
    assert dm.arrays["test_labels"].tolist() == [0, 1] and dm.arrays["test_mjj"][1] > 2500
    assert tuple(dm.inputs("val_signal").shape) == (1, 700, 4)
