"""GWOSC strain files: reading, data-quality and NaN cuts, PSD estimation, and clear errors on bad files."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from anomaly_lab.data.gw.datamodule import GWDataModule
from anomaly_lab.data.gw.gwosc import GwoscFormatError, read_gwosc, valid_stretches
from anomaly_lab.data.gw.psd import design_psd
from anomaly_lab.data.gw.sources import GwoscStrain
from tests.writers import write_gwosc_file

SIZES = {"train": 40, "val": 10, "val_signal": 8, "test_background": 10, "test_signal": 10}


def test_reader_masks_nan_and_vetoed_seconds(gwosc_file: Path) -> None:
    seg = read_gwosc(gwosc_file, dq_flags=["DATA", "CBC_CAT1"], inj_flags=["NO_CBC_HW_INJ"])
    assert seg.detector == "H1" and seg.fs == 4096 and seg.gps_start == 1126259446
    fs = int(seg.fs)
    assert not seg.valid[20 * fs : 24 * fs].any()  # NaN gap
    assert not seg.valid[40 * fs : 42 * fs].any()  # CBC_CAT1 veto
    assert seg.valid[: 20 * fs].all() and seg.valid[24 * fs : 40 * fs].all() and seg.valid[42 * fs :].all()


def test_valid_stretches_are_finite_and_resampled(gwosc_file: Path) -> None:
    seg = read_gwosc(gwosc_file, dq_flags=["DATA", "CBC_CAT1"])
    stretches = valid_stretches(seg, fs_out=2048, min_s=8.0)
    assert [len(x) / 2048 for x in stretches] == [20.0, 16.0, 22.0]
    assert all(np.isfinite(x).all() for x in stretches)


def test_welch_psd_from_the_data_matches_the_noise_it_was_coloured_with(gwosc_file: Path) -> None:
    source = GwoscStrain([str(gwosc_file)], 2048.0, 8 * 2048, 512, ["DATA", "CBC_CAT1"], [], 4.0, seed=0)
    freqs = source.psd.freqs[(source.psd.freqs >= 30) & (source.psd.freqs < 510)]
    ratio = source.psd(freqs) / design_psd("aligo", freqs)
    # a median of ~14 periodograms scatters ~30 % per bin; averaged over 60 Hz bands (240 bins) it is tight
    band_means = ratio.reshape(8, -1).mean(axis=1)
    assert np.all(np.abs(band_means - 1) < 0.1)
    assert np.mean(ratio) == pytest.approx(1.0, abs=0.05)


def test_gwosc_datamodule_builds_disjoint_windows_from_valid_data(tmp_path: Path) -> None:
    # five splits kept apart in time by one 8 s chunk each need more than the conftest's 64 s
    long_file = write_gwosc_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-128.hdf5", duration_s=128)

    def gwosc() -> GWDataModule:
        return GWDataModule(
            source="gwosc", files=[str(long_file)], sizes=SIZES, dq_flags=["DATA", "CBC_CAT1"],
            inj_flags=["NO_CBC_HW_INJ"], cache_dir=str(tmp_path / "cache"), batch_size=16,
        )  # fmt: skip

    dm = gwosc()
    dm.setup("fit")
    a = dm.arrays
    assert a["train"].shape == (40, 512) and a["test"].shape == (20, 512)
    assert np.isfinite(a["test"]).all()
    # whitened with its own PSD estimate, real-format noise is close to unit variance
    assert a["train"].var() == pytest.approx(1.0, abs=0.15)
    snr = dm.test_extras["snr"]
    assert np.all((snr[10:] >= 8) & (snr[10:] <= 20)) and np.all(snr[:10] == 0)
    # the same config is read back from the cache, not regenerated
    again = gwosc()
    again.setup("fit")
    np.testing.assert_array_equal(again.arrays["test"], a["test"])
    assert len(list((tmp_path / "cache").glob("*.h5"))) == 1


def test_requesting_more_windows_than_the_files_hold_names_the_shortfall(gwosc_file: Path, tmp_path: Path) -> None:
    dm = GWDataModule(source="gwosc", files=[str(gwosc_file)], sizes=SIZES | {"train": 100000}, cache_dir=str(tmp_path))
    with pytest.raises(GwoscFormatError, match="split 'train' .* does not fit"):
        dm.setup("fit")
    assert not list(tmp_path.glob("*.h5"))


def test_missing_strain_dataset_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.hdf5"
    with h5py.File(bad, "w") as f:
        f["meta/Detector"] = b"L1"
    with pytest.raises(GwoscFormatError, match=r"bad.hdf5: missing 'strain/Strain'"):
        read_gwosc(bad)


def test_not_hdf5_and_unknown_flag_are_named(gwosc_file: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.hdf5"
    junk.write_text("not hdf5")
    with pytest.raises(GwoscFormatError, match="junk.hdf5: not an HDF5 file"):
        read_gwosc(junk)
    with pytest.raises(GwoscFormatError, match="flag 'CBC_CAT9' not in 'quality/simple/DQShortnames'"):
        read_gwosc(gwosc_file, dq_flags=["CBC_CAT9"])


def test_gwosc_noise_takes_several_injected_families(tmp_path: Path) -> None:
    long_file = write_gwosc_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-128.hdf5", duration_s=128)
    dm = GWDataModule(source="gwosc", files=[str(long_file)], sizes=SIZES, cache_dir=str(tmp_path / "cache"),
                      signals=["bbh", "ringdown"])  # fmt: skip
    dm.setup("fit")
    assert list(np.bincount(dm.test_extras["process"])) == [10, 5, 5]
    assert np.isfinite(dm.arrays["test"]).all()
