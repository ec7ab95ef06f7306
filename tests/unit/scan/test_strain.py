"""The scanner on GWOSC strain: its windows are training's windows (same GPS times, same whitened values up to the
whitening context), every valid window is scored once and none touches a gap, and a loud burst is one trigger."""

from __future__ import annotations

import csv
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from anomaly_lab.data.gw.datamodule import EDGE_TAPER_S, GWDataModule
from anomaly_lab.data.gw.sources import GwoscStrain
from anomaly_lab.data.gw.whitening import Whitener
from anomaly_lab.data.transforms import Standardizer
from anomaly_lab.io import load_arrays
from anomaly_lab.scan.strain import StrainScanner, read_strain, window_grid
from anomaly_lab.scan.strain_scan import scan_strain
from tests.unit.scan.gw_files import GPS, burst_file
from tests.writers import write_gwosc_file

SIZES = dict.fromkeys(("train", "val", "val_signal", "test_background", "test_signal"), 1)
CPU = torch.device("cpu")


def datamodule(path: Path) -> GWDataModule:
    """conf/data/gw.yaml's defaults (0.25 s windows at 5.5 s inside 8 s contexts, 2048 Hz, its DQ and injection
    flags) reading `path` as training would."""
    return GWDataModule(
        source="gwosc",
        files=[str(path)],
        sizes=SIZES,
        cache_dir=str(path.parent / "cache"),
        dq_flags=["DATA", "CBC_CAT1", "CBC_CAT2"],
        inj_flags=["NO_CBC_HW_INJ", "NO_BURST_HW_INJ"],
    )


def scanner(dm: GWDataModule, stride: float = 0.25, chunk_s: float = 64, transform=None, score=None):
    grid = window_grid(dm, stride)
    transform = torch.nn.Identity() if transform is None else transform
    return StrainScanner(dm, grid, int(chunk_s * dm.layout.fs), CPU, transform, score)


def scanned(sc: StrainScanner, path: Path, device: torch.device | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(GPS starts, whitened windows) of a whole file."""
    parts = list(sc.windows(read_strain(path, sc.dm, device)))
    return np.concatenate([g for g, _ in parts]), torch.cat([x for _, x in parts]).numpy()[:, 0]


def training_windows(dm: GWDataModule, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(GPS starts, whitened windows) of every window position training's GWOSC source hands out, in file order,
    each whitened alone inside its context chunk as `background_windows` does."""
    lay = dm.layout
    src = GwoscStrain([str(path)], lay.fs, lay.n_context, lay.n_window, dm.dq_flags, dm.inj_flags,
                      dm.psd_segment_s, seed=0)  # fmt: skip
    whiten = Whitener(src.psd, lay.fs, lay.n_context, *dm.band, edge_taper_s=EDGE_TAPER_S)
    with h5py.File(path) as f:
        strain = f["strain/Strain"][()]
    firsts = np.flatnonzero(np.diff(np.concatenate([[0], np.isfinite(strain).astype(int)])) == 1) / 4096
    gps, windows = [], []
    for x, first in zip(src.stretches, firsts, strict=True):
        for s in range(0, len(x) - lay.n_context + 1, lay.n_window):
            gps.append(GPS + first + (s + lay.start) / lay.fs)
            windows.append(whiten(x[s : s + lay.n_context])[lay.start : lay.start + lay.n_window])
    return np.array(gps), np.array(windows)


@pytest.fixture(scope="module")
def noise_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """128 s of aLIGO noise at 4096 Hz with a NaN gap at 60-64 s."""
    path = tmp_path_factory.mktemp("gw") / "H-H1_GWOSC_4KHZ_R1-1126259446-128.hdf5"
    return write_gwosc_file(path, duration_s=128, nan_seconds=(60, 64), failed_cat1_seconds=None)


def test_windows_are_trainings_windows_at_the_same_gps_times(noise_file: Path) -> None:
    dm = datamodule(noise_file)
    gps, ours = scanned(scanner(dm, stride=0.25), noise_file)  # training's windows sit a window length apart
    train_gps, train = training_windows(dm, noise_file)
    np.testing.assert_allclose(gps, train_gps, rtol=0, atol=1e-6)
    # the same samples of data, whitened in a 64 s block instead of an 8 s chunk: the same values to about 1 %
    corr = [np.corrcoef(a, b)[0, 1] for a, b in zip(ours, train, strict=True)]
    assert min(corr) > 0.999
    assert np.std(ours - train) < 0.03 * np.std(train)
    assert abs(ours.mean()) < 0.01 and ours.std() == pytest.approx(train.std(), rel=0.01)


def test_transformed_windows_have_trainings_statistics(noise_file: Path) -> None:
    dm = datamodule(noise_file)
    _, train = training_windows(dm, noise_file)
    transform = Standardizer().fit(train[::2])  # fitted on training windows, as setup() fits it
    _, x = scanned(scanner(dm, stride=1 / 16, transform=transform.as_module()), noise_file)
    assert abs(x.mean()) < 0.02 and x.std() == pytest.approx(1.0, abs=0.02)
    q = [1, 25, 50, 75, 99]
    np.testing.assert_allclose(np.percentile(x, q), np.percentile(transform(train), q), atol=0.05)


def test_block_length_changes_neither_windows_nor_their_times(noise_file: Path) -> None:
    dm = datamodule(noise_file)
    gps16, short = scanned(scanner(dm, stride=1 / 16, chunk_s=16), noise_file)
    gps64, long = scanned(scanner(dm, stride=1 / 16, chunk_s=64), noise_file)
    np.testing.assert_array_equal(gps16, gps64)
    assert min(np.corrcoef(a, b)[0, 1] for a, b in zip(short, long, strict=True)) > 0.999


def test_the_gpu_path_gives_the_cpu_paths_windows(noise_file: Path) -> None:
    dm = datamodule(noise_file)
    sc = scanner(dm, stride=1 / 16)
    gps, numpy_path = scanned(sc, noise_file)
    gps_t, torch_path = scanned(sc, noise_file, CPU)  # the torch twins (resample, Welch, whitening) on the CPU
    np.testing.assert_array_equal(gps, gps_t)
    np.testing.assert_allclose(torch_path, numpy_path, atol=1e-5)


@pytest.mark.parametrize(("stride", "n_windows"), [(0.25, 49 + 33 + 57), (1 / 16, 193 + 129 + 225)])
def test_every_valid_window_is_scored_once_and_none_touches_a_gap(tmp_path: Path, stride: float, n_windows: int):
    # 64 s: NaN at 20-24 s, CBC_CAT1 failing at 40-42 s: valid stretches of 20, 16 and 22 s
    path = write_gwosc_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-64.hdf5")
    gps, x = scanned(scanner(datamodule(path), stride=stride), path)
    assert len(gps) == len(x) == n_windows
    assert np.isfinite(x).all() and np.all(np.diff(gps) > 0)
    for lo, hi in [(0, 20), (24, 40), (42, 64)]:
        inside = gps[(gps >= GPS + lo) & (gps < GPS + hi)]
        np.testing.assert_allclose(inside - GPS, lo + 5.5 + stride * np.arange(len(inside)), atol=1e-9)
        assert inside[-1] + 0.25 + 2.25 <= GPS + hi + 1e-9  # the last window keeps training's 2.25 s to the end


def energy(x: torch.Tensor) -> np.ndarray:
    """Stand-in score: the window's mean square (about 1 for whitened noise)."""
    return x.double().square().mean(dim=(1, 2)).numpy()


def test_a_loud_burst_is_one_trigger_at_its_time_and_nothing_else_fires(tmp_path: Path) -> None:
    t0 = GPS + 30.3
    path = burst_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-64.hdf5", t0, snr=60)
    sc = scanner(datamodule(path), stride=1 / 16, chunk_s=32, score=energy)
    lines = scan_strain([path], sc, tmp_path / "out", 3.0, {"checkpoint": "none"})
    with open(tmp_path / "out" / "triggers.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1, rows
    (row,) = rows
    assert list(row)[:4] == ["gps_start", "gps_end", "gps_peak", "score"] and row["detector"] == "H1"
    assert float(row["gps_start"]) <= t0 <= float(row["gps_end"]) and abs(float(row["gps_peak"]) - t0) < 0.125
    scores = load_arrays(tmp_path / "out" / "scores.h5")
    assert len(scores["score"]) == (64 - 8) * 16 + 1 and scores["triggers/n_windows"][0] >= 4
    assert np.sort(scores["score"])[-int(scores["triggers/n_windows"][0]) - 1] < 3.0  # the rest stay below
    assert lines[0].startswith("scanned 64 s of strain in ") and lines[0].endswith("x real time (H1)")


def test_a_file_without_a_stretch_long_enough_gives_no_windows(tmp_path: Path) -> None:
    path = write_gwosc_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-16.hdf5", duration_s=16, nan_seconds=(4, 12),
                            failed_cat1_seconds=None)  # fmt: skip
    lines = scan_strain([path], scanner(datamodule(path), score=energy), tmp_path / "out", 3.0, {})
    assert len(load_arrays(tmp_path / "out" / "scores.h5")["score"]) == 0
    assert (tmp_path / "out" / "triggers.csv").read_text().startswith("gps_start,gps_end,gps_peak,score,")
    assert lines[-1].startswith("0 windows")


def test_a_stride_off_the_sample_grid_is_refused(noise_file: Path) -> None:
    with pytest.raises(ValueError, match=r"stride=0.0001: expected a positive multiple of the sample spacing 1/2048 s"):
        window_grid(datamodule(noise_file), 0.0001)
