"""The ADC2021 DataModule on files in the public format: random draws, splits per signal, the fitted inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.data.adc2021.datamodule import ADC2021DataModule, sample_events
from anomaly_lab.data.adc2021.objects_format import write_objects
from tests.writers import adc2021_events

SIZES = {"train": 300, "val": 100, "val_signal": 20, "test_background": 100, "test_signal": 40}


@pytest.fixture
def files(tmp_path: Path) -> dict:
    background = adc2021_events(800, seed=1)
    background[[5, 77]] = 0.0  # two all-zero events, to be dropped
    signals = {name: write_objects(tmp_path / f"{name}.h5", adc2021_events(100, seed=10 + i, lepton_scale=60 + 20 * i))
               for i, name in enumerate(("Ato4l", "leptoquark"))}  # fmt: skip
    return {
        "background": str(write_objects(tmp_path / "bg.h5", background)),
        "signals": {k: str(v) for k, v in signals.items()},
    }


def _dm(files: dict, tmp_path: Path, **kw) -> ADC2021DataModule:
    return ADC2021DataModule(source="files", files=files, signals=["Ato4l", "leptoquark"], sizes=SIZES,
                             cache_dir=str(tmp_path / "cache"), chunk_size=128, **kw)  # fmt: skip


def test_draw_is_random_without_replacement_and_skips_empty_events(tmp_path: Path) -> None:
    events = adc2021_events(500, seed=4)
    events[:, 0, 0] = np.arange(500) + 1.0  # MET pT tags each event by its index
    events[[3, 9]] = 0.0
    path = write_objects(tmp_path / "f.h5", events)
    drawn, empty = sample_events(path, 450, seed=0, chunk_size=64)
    tags = drawn[:, 0, 0].astype(int) - 1
    assert len(set(tags)) == 450 and empty <= 2 and not {3, 9} & set(tags)
    assert not np.all(np.diff(tags) > 0)  # random order, not file order
    np.testing.assert_array_equal(drawn, events[tags].astype(np.float32))
    again, _ = sample_events(path, 450, seed=0, chunk_size=500)
    np.testing.assert_array_equal(drawn, again)  # the chunk size does not change the draw


def test_too_few_events_names_the_file(tmp_path: Path) -> None:
    path = write_objects(tmp_path / "small.h5", adc2021_events(30))
    with pytest.raises(ValueError, match=r"small.h5: too few events .*need 40"):
        sample_events(path, 40, seed=0, chunk_size=8)


def test_splits_hold_each_signal_with_its_process_code(files: dict, tmp_path: Path) -> None:
    dm = _dm(files, tmp_path)
    dm.setup()
    a = dm.arrays
    assert a["train"].shape == (300, 19, 4) and a["val"].shape == (100, 19, 4)
    np.testing.assert_array_equal(np.bincount(a["test_process"]), [100, 40, 40])
    np.testing.assert_array_equal(a["test_labels"], a["test_process"] > 0)
    np.testing.assert_array_equal(np.bincount(a["val_signal_process"]), [0, 20, 20])
    assert dm.signal_processes() == ["Ato4l", "leptoquark"]
    assert dm.extras("test")["process"] is a["test_process"]
    assert not (a["train"] == 0).all(axis=(1, 2)).any()
    # the background events of the splits are distinct events of the file
    bg = np.concatenate([a["train"], a["val"], a["test"][a["test_process"] == 0]]).reshape(500, -1)
    assert len(np.unique(bg, axis=0)) == 500


def test_inputs_are_scaled_kinematics_one_hot_types_and_a_mask(files: dict, tmp_path: Path) -> None:
    dm = _dm(files, tmp_path)
    dm.setup()
    x, raw = dm.inputs("train").numpy(), dm.arrays["train"]
    real = raw[..., 0] > 0
    assert x.shape == (300, 19, 8)
    np.testing.assert_array_equal(x[..., 7], real)
    np.testing.assert_array_equal(x[..., 3:7].argmax(-1)[real] + 1, raw[..., 3][real])
    assert (x[~real] == 0).all()
    assert x[..., :3][real].min() == 0 and x[..., :3][real].max() == 1  # min-max over real training objects
    standard = _dm(files, tmp_path, scaling="standard")
    standard.setup()
    pt = standard.inputs("train").numpy()[..., 0][real]
    assert abs(pt.mean()) < 1e-5 and abs(pt.std() - 1) < 1e-4


def test_transform_twin_matches_numpy(files: dict, tmp_path: Path) -> None:
    dm = _dm(files, tmp_path)
    dm.setup()
    raw = dm.arrays["test"]
    twin = dm.transform.as_module()
    np.testing.assert_array_equal(twin(__import__("torch").from_numpy(raw)).numpy(), dm.transform(raw))


def test_cache_rebuilds_when_a_signal_file_changes(files: dict, tmp_path: Path) -> None:
    dm = _dm(files, tmp_path)
    dm.setup()
    write_objects(files["signals"]["Ato4l"], adc2021_events(100, seed=99))
    fresh = _dm(files, tmp_path)
    fresh.setup()
    assert not np.array_equal(dm.arrays["val_signal"], fresh.arrays["val_signal"])


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"files": {"background": "bg.h5", "signals": {"Ato4l": "a.h5"}}}, "missing: ['leptoquark']"),
        ({"scaling": "log"}, "data.scaling: expected one of"),
        ({"n_objects": 20}, "ADC2021 events give 19 objects"),
    ],
)
def test_bad_options_are_one_clear_error(tmp_path: Path, kw: dict, message: str) -> None:
    args = {"files": {"background": "bg.h5", "signals": {"Ato4l": "a.h5", "leptoquark": "l.h5"}}} | kw
    with pytest.raises(ValueError) as err:
        _dm(args.pop("files"), tmp_path, **args)
    assert message in str(err.value)


def test_draw_passes_again_over_the_file_when_empty_events_exceed_the_margin(tmp_path: Path) -> None:
    events = adc2021_events(2000, seed=5)
    events[np.random.default_rng(0).permutation(2000)[:200]] = 0.0  # 10 % all-zero, beyond the 2 % overdraw
    drawn, empty = sample_events(write_objects(tmp_path / "f.h5", events), 1600, seed=1, chunk_size=256)
    assert len(drawn) == 1600 and empty > 32 and drawn.any(axis=(1, 2)).all()
    assert len(np.unique(drawn.reshape(1600, -1), axis=0)) == 1600
    with pytest.raises(ValueError, match=r"too few events with objects \(1800 of the 2000 in the file, need 1801\)"):
        sample_events(tmp_path / "f.h5", 1801, seed=1, chunk_size=256)


def test_each_signal_keeps_validation_and_test_events_apart(files: dict, tmp_path: Path) -> None:
    dm = _dm(files, tmp_path)
    dm.setup()
    a = dm.arrays
    for code in (1, 2):
        val = a["val_signal"][a["val_signal_process"] == code].reshape(20, -1)
        test = a["test"][a["test_process"] == code].reshape(40, -1)
        assert len(np.unique(np.concatenate([val, test]), axis=0)) == 60
