"""One GWOSC file through a trained GW model: its valid stretches whitened in long overlapping blocks on the
scanning device, windows cut at the scan's stride clear of the blocks' edges, transformed and scored block by block.

The file is read, cut and resampled exactly as training read its files (`read_gwosc` with the run's DQ and
injection flags, `valid_stretches` of at least one context chunk, resampled to the run's rate) and its PSD is
estimated from this file's valid stretches as training estimated it (`welch_psd`, the run's `psd_segment_s`).
Each block goes through the very filter of training's `Whitener` (built for the block's length); see
`anomaly_lab.scan.blocks` for why its windows are statistically those of training.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from anomaly_lab.data.gw.datamodule import EDGE_TAPER_S, GWDataModule
from anomaly_lab.data.gw.gwosc import read_gwosc, valid_bounds, valid_stretches
from anomaly_lab.data.gw.psd import median_welch, welch_psd
from anomaly_lab.data.gw.whitening import Whitener
from anomaly_lab.scan import device_dsp
from anomaly_lab.scan.blocks import Block, WindowGrid, blocks


@dataclass
class StrainFile:
    """A GWOSC file ready to scan: its valid stretches at the run's rate (numpy arrays, or tensors on a GPU), the GPS
    time of each one's first sample, and the PSD estimated from them (None when no stretch holds a window)."""

    path: Path
    detector: str
    duration_s: float
    stretches: list[np.ndarray] | list[torch.Tensor]
    gps: list[float]
    psd: Callable[[np.ndarray], np.ndarray] | None


def read_strain(path: str | Path, dm: GWDataModule, device: torch.device | None = None) -> StrainFile:
    """Read one file as training read its files; the PSD comes from this file's own valid data. With training's own
    code (numpy arrays), or with its torch twins (`device_dsp`, the same numbers) on `device` when one is given."""
    seg = read_gwosc(path, dm.dq_flags, dm.inj_flags)
    min_s, fs = dm.layout.context_s, dm.layout.fs
    bounds = valid_bounds(seg, min_s)
    if device is None:
        stretches, estimate = valid_stretches(seg, fs, min_s), median_welch
    else:
        strain = [torch.from_numpy(seg.strain[lo:hi]).to(device) for lo, hi in bounds]
        stretches, estimate = [device_dsp.resample(x, int(seg.fs), int(fs)) for x in strain], device_dsp.welch_numpy
    psd = None
    if stretches:
        try:
            psd = welch_psd(stretches, fs, dm.psd_segment_s, estimate)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
    gps = [seg.gps_start + lo / seg.fs for lo, _ in bounds]
    return StrainFile(Path(path), seg.detector, len(seg.strain) / seg.fs, stretches, gps, psd)


def window_grid(dm: GWDataModule, stride_s: float) -> WindowGrid:
    """The run's windows at a stride of `stride_s` seconds (a whole number of samples at the run's rate)."""
    lay = dm.layout
    stride = stride_s * lay.fs
    if not (stride_s > 0 and abs(stride - round(stride)) < 1e-6 * max(1.0, stride) and round(stride) >= 1):
        raise ValueError(f"stride={stride_s}: expected a positive multiple of the sample spacing 1/{lay.fs:g} s")
    return WindowGrid(lay.n_window, int(round(stride)), lay.start, lay.n_context - lay.start - lay.n_window)


class DeviceWhitener:
    """Training's `Whitener` (same PSD, band and edge taper; one per block length) where the strain is: itself
    on numpy arrays (numpy's FFT is the faster one on a CPU), its filter applied with torch's FFT on tensors."""

    def __init__(self, psd: Callable[[np.ndarray], np.ndarray], dm: GWDataModule) -> None:
        self.psd, self.dm = psd, dm
        self._whiteners: dict[int, Whitener] = {}
        self._responses: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def whitener(self, n: int) -> Whitener:
        """Training's whitener for blocks of `n` samples."""
        if n not in self._whiteners:
            lay = self.dm.layout
            self._whiteners[n] = Whitener(self.psd, lay.fs, n, *self.dm.band, edge_taper_s=EDGE_TAPER_S)
        return self._whiteners[n]

    def on_device(self, x: torch.Tensor) -> torch.Tensor:
        """The whitener's filter applied with torch on `x`'s device."""
        n = len(x)
        if n not in self._responses:
            self._responses[n] = tuple(torch.from_numpy(a).to(x.device) for a in self.whitener(n).response)
        edge, response = self._responses[n]
        return torch.fft.irfft(torch.fft.rfft(x * edge) * response, n=n)

    def __call__(self, x: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Whitened, band-passed float64 block (its edges, inside the tapers, are unusable): numpy's on the CPU,
        torch's on the device of a tensor."""
        if isinstance(x, torch.Tensor):
            return self.on_device(x)
        return torch.from_numpy(self.whitener(len(x))(x))


def block_windows(white: torch.Tensor, grid: WindowGrid, block: Block) -> torch.Tensor:
    """The block's windows as an (n, n_window) view of the whitened block (no copy)."""
    first = grid.start(block.k_lo) - block.lo
    span = white[first : first + (block.k_hi - block.k_lo - 1) * grid.stride + grid.n_window]
    return span.unfold(0, grid.n_window, grid.stride)


@dataclass
class StrainScanner:
    """Windows of the run's layout at `grid`'s stride, whitened in blocks of `block` samples on `device`, turned
    into model inputs by the fitted transform's torch twin (`transform.as_module()`) and scored by `score`."""

    dm: GWDataModule
    grid: WindowGrid
    block: int
    device: torch.device
    transform: torch.nn.Module
    score: Callable[[torch.Tensor], np.ndarray]

    def n_windows(self, strain: StrainFile) -> int:
        """How many windows the file's valid stretches hold."""
        return sum(self.grid.count(len(x)) for x in strain.stretches)

    def inputs(self, white: torch.Tensor, block: Block) -> torch.Tensor:
        """Model inputs (float32, with a channel axis when the run's models take one) of one whitened block."""
        # transformed once per sample, not once per window that holds it; then one contiguous copy, so that every
        # batch has the layout the model (a compiled one too) was warmed up with
        x = block_windows(self.transform(white), self.grid, block).contiguous()
        return x.unsqueeze(1) if self.dm.channel_axis else x

    def windows(self, strain: StrainFile) -> Iterator[tuple[np.ndarray, torch.Tensor]]:
        """(GPS start times, model inputs on the device) of each block's windows, block by block."""
        if strain.psd is None:
            return
        whiten = DeviceWhitener(strain.psd, self.dm)
        fs = self.dm.layout.fs
        for x, gps0 in zip(strain.stretches, strain.gps, strict=True):
            for b in blocks(self.grid, len(x), self.block):
                white = whiten(x[b.lo : b.hi])
                starts = gps0 + self.grid.start(np.arange(b.k_lo, b.k_hi)) / fs
                yield starts, self.inputs(white, b)

    def warm_up(self) -> None:
        """Load the device's FFT and sort kernels (lazily loaded on a GPU) before the first file is timed."""
        x = torch.zeros(self.block, dtype=torch.float64, device=self.device)
        torch.fft.irfft(torch.fft.rfft(x), n=self.block).sort()

    def read(self, path: Path) -> StrainFile:
        """A file's stretches and PSD: with numpy and scipy when scanning on the CPU (faster there), else on the GPU."""
        return read_strain(path, self.dm, None if self.device.type == "cpu" else self.device)

    def scores(self, strain: StrainFile) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(GPS start times, scores) of each block's windows, block by block: memory holds one block."""
        for starts, x in self.windows(strain):
            yield starts, self.score(x)
