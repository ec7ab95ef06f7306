"""A file replaced between runs (same path, other content) is read anew, and the log says why; for every reader."""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.data.gw.datamodule import GWDataModule
from anomaly_lab.data.jets.datamodule import JetImageDataModule
from anomaly_lab.data.jets.toptag_format import jet_frame, write_jets
from anomaly_lab.data.lhco.datamodule import LHCODataModule
from anomaly_lab.data.lhco.rnd_format import write_events
from tests.writers import write_gwosc_file

SIZES = {"train": 20, "val": 6, "val_signal": 4, "test_background": 6, "test_signal": 4}


def toptag_files(directory: Path, seed: int) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    files = {}
    for i, name in enumerate(("train", "val", "test")):
        pt = np.zeros((40, 200))
        pt[:, :30] = rng.exponential(10.0, (40, 30))
        eta, phi = rng.normal(0, 0.2, (2, 40, 200))
        p4 = np.stack([pt * np.cosh(eta), pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], -1)
        p4[pt == 0] = 0.0
        files[name] = str(write_jets(directory / f"{name}.h5", [jet_frame(p4.astype(np.float32), np.zeros((40, 4)),
                                                                             np.arange(40) % 2, i)]))  # fmt: skip
    return files


def rnd_file(path: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    particles = np.zeros((80, 700, 3), np.float32)
    particles[:, :40, 0] = rng.exponential(50.0, (80, 40))
    particles[:, :40, 1:] = rng.normal(0, 1, (80, 40, 2))
    return write_events(path, particles, np.arange(80) % 2)


def gw(tmp_path: Path, seed: int) -> GWDataModule:
    # five splits, one 8 s chunk apart in time, need more than 64 s
    path = write_gwosc_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-128.hdf5", duration_s=128, seed=seed)
    sizes = {"train": 8, "val": 4, "val_signal": 2, "test_background": 4, "test_signal": 2}
    return GWDataModule(source="gwosc", files=[str(path)], sizes=sizes, cache_dir=str(tmp_path / "cache"))


def jets(tmp_path: Path, seed: int) -> JetImageDataModule:
    files = toptag_files(tmp_path, seed)
    return JetImageDataModule(source="files", files=files, sizes=SIZES, cache_dir=str(tmp_path / "cache"))


def lhco(tmp_path: Path, seed: int) -> LHCODataModule:
    path = rnd_file(tmp_path / "events_anomalydetection.h5", seed)
    return LHCODataModule(source="files", path=str(path), sizes=SIZES, max_particles=32,
                          cache_dir=str(tmp_path / "cache"))  # fmt: skip


@pytest.mark.parametrize("make", [gw, jets, lhco], ids=["gwosc", "toptag", "lhco"])
def test_replaced_input_file_is_read_anew_and_the_log_says_why(
    make: Callable[[Path, int], object], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = make(tmp_path, 0)
    first.setup()
    again = copy.deepcopy(first)  # the same files, untouched: the cache serves them
    again.arrays = None
    with caplog.at_level(logging.INFO):
        again.setup()
    assert "rebuilding" not in caplog.text
    assert np.array_equal(again.arrays["train"], first.arrays["train"])
    for path in first.input_files():  # keep the old times: only the content says the file changed
        os.utime(path, ns=(0, 0))
    replaced = make(tmp_path, 1)
    for path in replaced.input_files():
        os.utime(path, ns=(0, 0))
    with caplog.at_level(logging.INFO):
        replaced.setup()
    assert "changed" in caplog.text and "rebuilding" in caplog.text
    assert not np.array_equal(replaced.arrays["train"], first.arrays["train"])
