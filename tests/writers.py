"""Files in the public formats, written by the tests themselves (no downloads): a GWOSC strain file (HDF5 or GWF),
ADC2021 object files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from anomaly_lab.data.gw import gwosc_writer
from anomaly_lab.data.gw.gwosc import DQ_NAMES, INJ_NAMES
from anomaly_lab.data.gw.psd import design_psd
from anomaly_lab.data.gw.whitening import coloured_noise

GPS = 1126259446
FRAME_CHANNELS = {k: f"H1:GWOSC-4KHZ_R1_{v}" for k, v in (("strain", "STRAIN"), ("dq", "DQMASK"), ("inj", "INJMASK"))}


def gwosc_content(
    duration_s: int = 64,
    fs: int = 4096,
    nan_seconds: tuple[int, int] | None = (20, 24),
    failed_cat1_seconds: tuple[int, int] | None = (40, 42),
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(strain, DQ mask, injection mask) of a small GWOSC file: aLIGO-coloured noise, a NaN gap, a CAT1 veto."""
    n = duration_s * fs
    freqs = np.fft.rfftfreq(n, 1 / fs)
    strain = coloured_noise(design_psd("aligo", freqs), fs, n, np.random.default_rng(seed))
    dq = gwosc_writer.all_good(duration_s, DQ_NAMES)
    inj = gwosc_writer.all_good(duration_s, INJ_NAMES)
    if nan_seconds:
        strain[nan_seconds[0] * fs : nan_seconds[1] * fs] = np.nan
        dq[nan_seconds[0] : nan_seconds[1]] = 0
    if failed_cat1_seconds:
        dq[failed_cat1_seconds[0] : failed_cat1_seconds[1]] &= ~np.uint32(1 << 1)
    return strain, dq, inj


def write_gwosc_file(
    path: Path,
    duration_s: int = 64,
    fs: int = 4096,
    nan_seconds: tuple[int, int] | None = (20, 24),
    failed_cat1_seconds: tuple[int, int] | None = (40, 42),
    seed: int = 0,
) -> Path:
    """A small strain file in the GWOSC HDF5 layout: aLIGO-coloured noise, a NaN gap and a CAT1-vetoed stretch."""
    strain, dq, inj = gwosc_content(duration_s, fs, nan_seconds, failed_cat1_seconds, seed)
    return gwosc_writer.write_gwosc_file(path, "H1", strain, GPS, fs, dq, inj)


def write_gwosc_frame(
    path: Path,
    duration_s: int = 64,
    fs: int = 4096,
    nan_seconds: tuple[int, int] | None = (20, 24),
    failed_cat1_seconds: tuple[int, int] | None = (40, 42),
    seed: int = 0,
) -> Path:
    """The same content as `write_gwosc_file` in a GWOSC GWF frame: strain and 1 Hz DQ/injection mask channels.

    Written through gwpy and lalframe, which store no bit names in the masks' units (GWOSC's own frames do)."""
    from gwpy.timeseries import StateVector, TimeSeries, TimeSeriesDict

    strain, dq, inj = gwosc_content(duration_s, fs, nan_seconds, failed_cat1_seconds, seed)
    series = {
        FRAME_CHANNELS["strain"]: TimeSeries(strain, t0=GPS, sample_rate=fs),
        FRAME_CHANNELS["dq"]: StateVector(dq, t0=GPS, sample_rate=1),
        FRAME_CHANNELS["inj"]: StateVector(inj, t0=GPS, sample_rate=1),
    }
    for name, s in series.items():
        s.name = name
    TimeSeriesDict(series).write(str(path), format="gwf", backend="lalframe")
    return path


def adc2021_events(n: int, seed: int = 0, lepton_scale: float = 30.0) -> np.ndarray:
    """(n, 19, 4) events in the ADC2021 layout: MET, 0-4 electrons and muons (at least one lepton above 23 GeV),
    0-10 jets, each class pT-ordered with zero padding; `lepton_scale` sets the leptons' mean pT above 23 GeV."""
    from anomaly_lab.data.adc2021.objects_format import CLASSES, ROWS

    rng = np.random.default_rng(seed)
    out = np.zeros((n, 19, 4))
    out[:, 0] = np.stack([rng.exponential(30, n), np.zeros(n), rng.uniform(-np.pi, np.pi, n), np.ones(n)], axis=1)
    limits = {"electrons": 2.5, "muons": 2.1, "jets": 4.0}
    for kind, eta_max in limits.items():
        rows = ROWS[kind]
        size = rows.stop - rows.start
        count = rng.integers(0, size + 1, n)
        pt = np.sort(rng.exponential(lepton_scale if kind != "jets" else 40, (n, size)) + 3, axis=1)[:, ::-1]
        block = np.stack([pt, rng.uniform(-eta_max, eta_max, (n, size)), rng.uniform(-np.pi, np.pi, (n, size)),
                          np.full((n, size), CLASSES[kind])], axis=-1)  # fmt: skip
        block[np.arange(size)[None, :] >= count[:, None]] = 0
        out[:, rows] = block
    lead = rng.integers(0, 2, n)  # the filter's lepton: an electron or a muon above 23 GeV in its first row
    for kind, which in (("electrons", 0), ("muons", 1)):
        sel = (lead == which) & (out[:, ROWS[kind].start, 0] < 23)
        out[sel, ROWS[kind].start] = [23 + lepton_scale, 0.5, 0.1, CLASSES[kind]]
    return out
