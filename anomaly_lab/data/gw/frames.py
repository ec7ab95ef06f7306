"""Reader for GWOSC strain frames (GWF) through gwpy and lalframe, into the same GwoscSegment as the HDF5 reader.

A GWOSC frame holds `<IFO>:GWOSC-<rate>_R1_STRAIN` (`<IFO>:LOSC-STRAIN` before O2) and the 1 Hz bitmasks
`..._DQMASK` and `..._INJMASK`. GWOSC writes each mask's bit names into its unit ("0:DATA 1:CBC_CAT1 ..."); where
that is missing the bits follow GWOSC's fixed layout, the order of the HDF5 files' DQShortnames/InjShortnames.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import lal
import lalframe
import numpy as np
from gwpy.timeseries import StateVector, TimeSeries

from anomaly_lab.data.gw.gwosc import (
    DQ,
    DQ_NAMES,
    INJ,
    INJ_NAMES,
    Bitmask,
    GwoscFormatError,
    GwoscSegment,
    RawStrain,
    segment_from,
)

EXPECTED = "expected a GWOSC strain GWF frame file"
GWF_MAGIC = b"IGWD"
# channel-name patterns, as gwpy matches them, and how the error messages call them
CHANNELS = {
    "strain": re.compile(r"\A[A-Z]\d:(GW|L)OSC-.*STRAIN\Z"),
    DQ: re.compile(r"\A[A-Z]\d:(GW|L)OSC-.*DQMASK\Z"),
    INJ: re.compile(r"\A[A-Z]\d:(GW|L)OSC-.*INJMASK\Z"),
}
HINTS = {"strain": "<IFO>:GWOSC-*_STRAIN", DQ: "<IFO>:GWOSC-*_DQMASK", INJ: "<IFO>:GWOSC-*_INJMASK"}
DEFAULT_BITS = {DQ: DQ_NAMES, INJ: INJ_NAMES}


@contextmanager
def _quiet_lal() -> Iterator[None]:
    """Silence XLAL's own stderr messages: a failure reaches the user as one GwoscFormatError line instead."""
    level = lal.GetDebugLevel()
    lal.ClobberDebugLevel(0)
    try:
        yield
    finally:
        lal.ClobberDebugLevel(level)


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise GwoscFormatError(f"{path}: no such file ({EXPECTED})")
    with path.open("rb") as f:
        head = f.read(len(GWF_MAGIC))
    if not head:
        raise GwoscFormatError(f"{path}: empty file ({EXPECTED})")
    if head != GWF_MAGIC:
        raise GwoscFormatError(f"{path}: not a GWF frame file (no 'IGWD' header; {EXPECTED})")


def channel_names(path: Path) -> list[str]:
    """All channel names in a frame file's table of contents, read with lalframe.

    The table of contents sits at the end of the file, so a truncated file has none; lalframe (and gwpy's
    channel listing) would crash the interpreter querying it, hence the explicit check."""
    with _quiet_lal():
        try:
            # keep the file handle alive while the table of contents is in use: it points into it
            frfile = lalframe.FrameUFrFileOpen(str(path), "r")
            toc = lalframe.FrameUFrTOCRead(frfile)
        except RuntimeError:
            toc = None
        if toc is None:
            raise GwoscFormatError(f"{path}: unreadable frame file (no table of contents: truncated?) ({EXPECTED})")
        kinds = (
            (lalframe.FrameUFrTOCQueryAdcN, lalframe.FrameUFrTOCQueryAdcName),
            (lalframe.FrameUFrTOCQueryProcN, lalframe.FrameUFrTOCQueryProcName),
            (lalframe.FrameUFrTOCQuerySimN, lalframe.FrameUFrTOCQuerySimName),
        )
        return [name(toc, i) for count, name in kinds for i in range(count(toc))]


def _channel(path: Path, names: Sequence[str], kind: str) -> str | None:
    """The one channel of this kind (strain, DQ or injection mask); None when absent, an error when ambiguous."""
    found = [n for n in names if CHANNELS[kind].match(n)]
    if len(found) > 1:
        raise GwoscFormatError(f"{path}: several GWOSC {kind} channels {found}, expected one")
    return found[0] if found else None


def _read(path: Path, channel: str, cls: type[TimeSeries] = TimeSeries) -> TimeSeries:
    with _quiet_lal():
        try:
            return cls.read(str(path), channel, format="gwf", backend="lalframe")
        except (RuntimeError, ValueError, OSError) as err:
            raise GwoscFormatError(f"{path}: cannot read channel '{channel}' ({err}; {EXPECTED})") from None


def bit_names(unit: str, kind: str) -> list[str]:
    """Bit names from a GWOSC mask unit such as '0:DATA 1:CBC_CAT1'; GWOSC's fixed layout when it carries none."""
    pairs = [token.split(":", 1) for token in unit.split() if re.fullmatch(r"\d+:\S+", token)]
    if not pairs:
        return list(DEFAULT_BITS[kind])
    names = [""] * (max(int(i) for i, _ in pairs) + 1)
    for i, name in pairs:
        names[int(i)] = name
    return names


def _unit(path: Path, channel: str) -> str:
    """The raw unit string of a channel (lalframe's series readers drop units they cannot parse)."""
    with _quiet_lal():
        frfile = lalframe.FrameUFrFileOpen(str(path), "r")
        chan = lalframe.FrameUFrChanRead(frfile, channel, 0)
        return str(lalframe.FrameUFrChanVectorQueryUnitY(chan) or "")


def _bitmask(path: Path, names: Sequence[str], kind: str) -> Bitmask:
    channel = _channel(path, names, kind)
    if channel is None:
        raise GwoscFormatError(f"{path}: no channel {HINTS[kind]} among {list(names)} ({EXPECTED})")
    values = _read(path, channel, StateVector).value
    return Bitmask(values, bit_names(_unit(path, channel), kind), f"channel '{channel}'", f"the bits of '{channel}'")


def _strain(path: Path, names: Sequence[str]) -> tuple[str, TimeSeries]:
    channel = _channel(path, names, "strain")
    if channel is None:
        raise GwoscFormatError(f"{path}: no channel {HINTS['strain']} among {list(names)} ({EXPECTED})")
    series = _read(path, channel)
    if series.dtype.kind != "f" or series.ndim != 1 or series.shape[0] == 0:
        raise GwoscFormatError(
            f"{path}: channel '{channel}' holds {series.dtype} of shape {series.shape}, expected non-empty float strain"
        )
    fs = float(series.sample_rate.to("Hz").value)
    if abs(fs - round(fs)) > 1e-6:
        raise GwoscFormatError(f"{path}: channel '{channel}' has a non-integer rate {fs} Hz")
    return channel, series


def read_gwosc_frame(path: str | Path, dq_flags: Sequence[str] = (), inj_flags: Sequence[str] = ()) -> GwoscSegment:
    """Read one GWOSC GWF file (strain and, when flags are requested, its masks) and cut it like an HDF5 file."""
    path = Path(path)
    _check_file(path)
    names = channel_names(path)
    channel, series = _strain(path, names)
    raw = RawStrain(
        path, channel.split(":", 1)[0], float(series.t0.to("s").value), float(round(series.sample_rate.value)),
        np.asarray(series.value, dtype=np.float64), f"channel '{channel}'",
        lambda kind: _bitmask(path, names, kind),
        lambda: _channel(path, names, DQ) is not None and "DATA" in _bitmask(path, names, DQ).names,
    )  # fmt: skip
    return segment_from(raw, dq_flags, inj_flags)
