"""Our GWOSC readers (HDF5 and GWF), PSD and whitening against gwpy's, on files the tests write themselves."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from gwpy.timeseries import TimeSeries

from anomaly_lab.data.gw.frames import bit_names
from anomaly_lab.data.gw.gwosc import GwoscFormatError, read_gwosc, valid_stretches
from anomaly_lab.data.gw.psd import InterpolatedPSD, median_welch
from anomaly_lab.data.gw.whitening import Whitener, band_mask
from tests.writers import DQ_NAMES, FRAME_CHANNELS, write_gwosc_file, write_gwosc_frame

FS = 2048
FLAGS = {"dq_flags": ["DATA", "CBC_CAT1"], "inj_flags": ["NO_CBC_HW_INJ"]}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same strain, DQ and injection masks as GWOSC HDF5 and as a GWOSC GWF frame."""
    d = tmp_path_factory.mktemp("gwosc")
    return (
        write_gwosc_file(d / "H-H1_GWOSC_4KHZ_R1-1126259446-64.hdf5"),
        write_gwosc_frame(d / "H-H1_GWOSC_4KHZ_R1-1126259446-64.gwf"),
    )


@pytest.fixture(scope="module")
def stretch(files: tuple[Path, Path]) -> np.ndarray:
    """The first valid 20 s of the file at 2048 Hz."""
    return valid_stretches(read_gwosc(files[0], **FLAGS), FS, 8.0)[0]


def test_hdf5_reader_gives_gwpys_strain_and_gps_times_exactly(files: tuple[Path, Path]) -> None:
    seg = read_gwosc(files[0])
    ref = TimeSeries.read(str(files[0]), format="hdf5.gwosc")
    np.testing.assert_array_equal(seg.strain, ref.value)  # NaN gap included; tolerance: none
    assert seg.gps_start == ref.t0.value and seg.fs == ref.sample_rate.value
    times = seg.gps_start + np.arange(len(seg.strain)) / seg.fs
    np.testing.assert_allclose(times, ref.times.value, rtol=0, atol=1e-6)  # float64 GPS at 1e9 s: ~1e-7 s


def test_gwf_frame_written_by_gwpy_reads_back_sample_for_sample(files: tuple[Path, Path]) -> None:
    hdf5, gwf = read_gwosc(files[0], **FLAGS), read_gwosc(files[1], **FLAGS)
    assert (gwf.detector, gwf.gps_start, gwf.fs) == (hdf5.detector, hdf5.gps_start, hdf5.fs)
    np.testing.assert_array_equal(gwf.strain, hdf5.strain)  # bit-identical, NaN gap included
    np.testing.assert_array_equal(gwf.valid, hdf5.valid)  # same DQ and injection cuts


def test_gwosc_mask_units_name_the_bits_and_the_fixed_layout_stands_in_otherwise() -> None:
    unit = " ".join(f"{i}:{name}" for i, name in enumerate(DQ_NAMES))
    assert bit_names(unit, "quality/simple") == DQ_NAMES
    assert bit_names("2:CBC_CAT2 0:DATA", "quality/simple") == ["DATA", "", "CBC_CAT2"]
    assert bit_names("", "quality/simple") == DQ_NAMES  # what lalframe-written frames carry


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


BAD_FRAMES = {
    "missing": (lambda p: p.unlink(), {}, "no such file"),
    "not a frame": (lambda p: p.write_text("strain\n"), {}, "not a GWF frame file"),
    "truncated": (_truncate, {}, "no table of contents: truncated?"),
    "unknown flag": (
        lambda p: None,
        {"dq_flags": ["CBC_CAT9"]},
        f"flag 'CBC_CAT9' not in the bits of '{FRAME_CHANNELS['dq']}'",
    ),
}


@pytest.mark.parametrize("problem", list(BAD_FRAMES))
def test_bad_frame_is_a_one_line_error_naming_the_file(tmp_path: Path, problem: str) -> None:
    path = write_gwosc_frame(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-8.gwf", duration_s=8, nan_seconds=None)
    edit, flags, expected = BAD_FRAMES[problem]
    edit(path)
    with pytest.raises(GwoscFormatError) as err:
        read_gwosc(path, **flags)
    assert str(path) in str(err.value) and expected in str(err.value) and "\n" not in str(err.value)


def test_frame_without_the_mask_a_study_asks_for_names_the_channel(tmp_path: Path) -> None:
    path = tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-8.gwf"
    TimeSeries(np.zeros(8 * 4096), t0=1126259446, sample_rate=4096, name=FRAME_CHANNELS["strain"]).write(
        str(path), format="gwf", backend="lalframe"
    )
    assert read_gwosc(path).valid.all()  # no flags asked for: the masks are not needed
    with pytest.raises(GwoscFormatError, match=r"no channel <IFO>:GWOSC-\*_DQMASK among \['H1:GWOSC-4KHZ_R1_STRAIN'\]"):
        read_gwosc(path, dq_flags=["DATA"])


def test_median_welch_psd_equals_gwpys_median_psd(stretch: np.ndarray) -> None:
    # both are scipy's median Welch with Hann windows, 50 % overlap and the median bias correction
    ours = median_welch(stretch, FS, 4 * FS)
    ref = TimeSeries(stretch, sample_rate=FS).psd(fftlength=4, overlap=2, method="median", window="hann")
    np.testing.assert_allclose(ours, ref.value, rtol=1e-10, atol=0)


def test_whitening_agrees_with_gwpys_on_the_centre_of_a_chunk(stretch: np.ndarray) -> None:
    """gwpy whitens with a 4 s FIR truncation of 1/ASD to unit variance over the full band; we divide the spectrum
    exactly and band-pass to [20, 500] Hz at unit variance. Band-passing gwpy's output with our mask and dividing by
    sqrt(band_fraction) puts both in the same units; the centre 4 s of an 8 s chunk avoids both edge treatments."""
    ref_psd = TimeSeries(stretch, sample_rate=FS).psd(fftlength=4, overlap=2, method="median", window="hann")
    n = 8 * FS
    chunk = stretch[10 * FS : 10 * FS + n]
    whitener = Whitener(InterpolatedPSD(ref_psd.frequencies.value, ref_psd.value), FS, n, 20.0, 500.0)
    ours = whitener(chunk)
    theirs = TimeSeries(chunk, sample_rate=FS).whiten(asd=np.sqrt(ref_psd), fduration=4, window="hann").value
    mask = band_mask(np.fft.rfftfreq(n, 1 / FS), 20.0, 500.0, 4.0)
    theirs = np.fft.irfft(np.fft.rfft(theirs) * mask, n=n) / np.sqrt(whitener.band_fraction)
    centre = slice(2 * FS, 6 * FS)
    # measured: correlation 0.9946, RMS ratio 0.985 (0.989 and 0.977 with a 2 s FIR, 0.980 and 1.19 with 8 s)
    assert np.corrcoef(ours[centre], theirs[centre])[0, 1] > 0.99
    assert np.std(ours[centre]) / np.std(theirs[centre]) == pytest.approx(1.0, abs=0.03)
