"""The shared data flow: config-keyed cache, transform fitted on training background only, loaders."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from anomaly_lab.data.cache import cached, config_key, load_arrays
from anomaly_lab.data.gw.datamodule import GWDataModule

TINY = dict(n_train=64, n_val=32, n_val_signal=16, n_test_background=24, n_test_signal=24, batch_size=16)


def test_cache_key_follows_the_config() -> None:
    assert config_key({"a": 1, "b": [1, 2]}) == config_key({"b": [1, 2], "a": 1})
    assert config_key({"a": 1}) != config_key({"a": 2})


def test_cache_builds_once_and_never_leaves_a_partial_file(tmp_path: Path) -> None:
    calls = []

    def build() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"x": np.arange(3)}

    first = cached(tmp_path, "t", {"a": 1}, build)
    second = cached(tmp_path, "t", {"a": 1}, build)
    assert len(calls) == 1 and np.array_equal(first["x"], second["x"])

    class Unstorable:
        pass

    with pytest.raises(TypeError):
        cached(tmp_path, "t", {"a": 2}, lambda: {"x": np.array([Unstorable()])})
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"t-{config_key({'a': 1})}.h5"]


def test_gw_datamodule_splits_fit_transform_on_training_background(tmp_path: Path) -> None:
    dm = GWDataModule(cache_dir=str(tmp_path), **TINY)
    dm.setup("fit")
    a = dm.arrays
    assert a["train"].shape == (64, 512) and a["val_signal"].shape == (16, 512)
    assert list(a["test_labels"]) == [0] * 24 + [1] * 24
    assert dm.transform.mean == pytest.approx(float(a["train"].mean()))
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (16, 1, 512) and y.sum() == 0
    assert float(dm.inputs("train").std()) == pytest.approx(1.0, abs=1e-3)
    # the cached file holds the injection parameters with the effective distances
    (path,) = tmp_path.glob("gw-simulated-*.h5")
    with h5py.File(path) as f:
        assert "distance_mpc" in f["test_injection"].dtype.names
    assert set(load_arrays(path)) >= {"train", "val", "val_signal", "test", "test_labels", "test_snr"}


def test_gw_generation_is_seeded(tmp_path: Path) -> None:
    a = GWDataModule(cache_dir=str(tmp_path / "a"), seed=3, **TINY)
    b = GWDataModule(cache_dir=str(tmp_path / "b"), seed=3, **TINY)
    c = GWDataModule(cache_dir=str(tmp_path / "c"), seed=4, **TINY)
    for dm in (a, b, c):
        dm.setup()
    np.testing.assert_array_equal(a.arrays["test"], b.arrays["test"])
    assert not np.array_equal(a.arrays["test"], c.arrays["test"])


def test_transform_state_travels_with_the_checkpoint(tmp_path: Path) -> None:
    dm = GWDataModule(cache_dir=str(tmp_path), **TINY)
    dm.setup()
    fresh = GWDataModule(cache_dir=str(tmp_path), **TINY)
    fresh.load_state_dict(dm.state_dict())
    assert fresh.transform.state_dict() == dm.transform.state_dict()


def test_atomic_writes_are_readable_by_the_group(tmp_path: Path) -> None:
    from anomaly_lab.atomic import write_text_atomic

    old = os.umask(0o022)
    try:
        path = write_text_atomic(tmp_path / "report.md", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]
