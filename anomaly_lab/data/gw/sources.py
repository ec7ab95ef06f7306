"""Where strain chunks come from: fresh simulated noise per window, or stretches of GWOSC data (HDF5 or GWF)
with the splits kept apart in time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from anomaly_lab.data.gw.gwosc import GwoscFormatError, read_gwosc, valid_stretches
from anomaly_lab.data.gw.psd import DESIGN_SITES, DesignPSD, welch_psd
from anomaly_lab.data.gw.whitening import coloured_noise


class SimulatedNoise:
    """Gaussian noise coloured by a design PSD; every chunk is an independent realisation."""

    def __init__(self, detector: str, fs: float, n_samples: int) -> None:
        self.psd = DesignPSD(detector)
        self.fs, self.n_samples = fs, n_samples
        self._psd_values = self.psd(np.fft.rfftfreq(n_samples, 1 / fs))
        self.site = DESIGN_SITES[detector]

    def chunks(self, n: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
        for _ in range(n):
            yield coloured_noise(self._psd_values, self.fs, self.n_samples, rng)


Position = tuple[int, int]  # (stretch index, first sample of the chunk in that stretch)


class GwoscStrain:
    """Chunks cut from the valid stretches of GWOSC files; each chunk position is handed out once.

    By default chunk positions lie one `step` apart (analysed windows never overlap) and are shuffled over all
    stretches. With `split_sizes` (windows per split, in the order `chunks` is called) the valid time is instead
    divided into one contiguous block per split, proportional to its size and one chunk length apart, so no sample
    of one split's chunks lies in another's; inside its block a split's chunks start `stride` samples apart.
    """

    def __init__(
        self,
        files: Sequence[str],
        fs: float,
        n_samples: int,
        step: int,
        dq_flags: Sequence[str],
        inj_flags: Sequence[str],
        psd_segment_s: float,
        seed: int,
        *,
        stride: int | None = None,
        split_sizes: Mapping[str, int] | None = None,
    ) -> None:
        if not files:
            raise GwoscFormatError("data.files: expected at least one GWOSC file with data.source=gwosc")
        segments = [read_gwosc(f, dq_flags, inj_flags) for f in files]
        detectors = {s.detector for s in segments}
        if len(detectors) != 1:
            raise GwoscFormatError(f"data.files: expected files of one detector, got {sorted(detectors)}")
        self.site = detectors.pop()
        self.fs, self.n_samples = fs, n_samples
        self.stride = step if stride is None else stride
        if self.stride < 1:
            raise ValueError(f"data.window_stride_s: expected a positive stride, got {self.stride / fs} s")
        self.stretches = [x for s in segments for x in valid_stretches(s, fs, n_samples / fs)]
        if not self.stretches:
            raise GwoscFormatError(f"data.files: no valid stretch of at least {n_samples / fs} s after DQ and NaN cuts")
        self.psd = welch_psd(self.stretches, fs, psd_segment_s)
        rng = np.random.default_rng(seed)
        self.blocks: dict[str, tuple[int, int]] = {}
        self.split_positions: dict[str, list[Position]] = {}
        if split_sizes is None:
            # chunks overlap in their context but their analysed windows (one `step` apart) never do
            self._positions = self.grid(0, sum(len(x) for x in self.stretches))
            rng.shuffle(self._positions)
            self._expected: list[int] | None = None
        else:
            self.split_positions = self._split(split_sizes, rng)
            self._positions = [p for positions in self.split_positions.values() for p in positions]
            self._expected = list(split_sizes.values())
        self._next = 0

    def grid(self, lo: int, hi: int) -> list[Position]:
        """Chunk starts `stride` apart in every stretch, for chunks lying wholly inside [lo, hi) of the valid time
        (the stretches laid end to end)."""
        out, offset = [], 0
        for i, x in enumerate(self.stretches):
            a, b = max(lo - offset, 0), min(hi - offset, len(x))
            out += [(i, start) for start in range(a, b - self.n_samples + 1, self.stride)]
            offset += len(x)
        return out

    def _end_after(self, lo: int, n: int) -> int | None:
        """End (in valid time) of the shortest block from `lo` whose grid holds `n` chunks; None if none does."""
        offset = 0
        for x in self.stretches:
            a = max(lo - offset, 0)
            fits = (len(x) - a - self.n_samples) // self.stride + 1 if len(x) - a >= self.n_samples else 0
            if fits >= n:
                return offset + a + (n - 1) * self.stride + self.n_samples
            n -= max(fits, 0)
            offset += len(x)
        return None

    def _layout(self, wanted: Mapping[str, int], spare: int) -> dict[str, tuple[int, int]] | str:
        """Blocks of valid time in request order, one chunk length apart, each the shortest that holds its split's
        windows plus a share of `spare` proportional to its size; the first split that does not fit, if one doesn't."""
        total, lo, blocks = sum(len(x) for x in self.stretches), 0, {}
        for name, n in wanted.items():
            end = self._end_after(lo, n)
            if end is None:
                return name
            blocks[name] = (lo, min(end + spare * n // sum(wanted.values()), total))
            lo = blocks[name][1] + self.n_samples
        return blocks

    def _split(self, sizes: Mapping[str, int], rng: np.random.Generator) -> dict[str, list[Position]]:
        """Each split's positions: the first `size` of its block's grid, shuffled."""
        wanted = {name: n for name, n in sizes.items() if n > 0}
        blocks = self._layout(wanted, 0)
        if isinstance(blocks, str):
            total = sum(len(x) for x in self.stretches)
            raise GwoscFormatError(
                f"data.files: at a stride of {self.stride / self.fs:g} s the valid data hold "
                f"{len(self.grid(0, total))} windows, {sum(sizes.values())} asked for with one "
                f"{self.n_samples / self.fs:g} s chunk between splits; split '{blocks}' ({sizes[blocks]}) does not "
                "fit; lower data.n_* or data.window_stride_s, or add files"
            )
        # spread the unused valid time over the splits; a block moved across a stretch boundary can lose up to a
        # chunk length, so halve the spread until every split still fits
        spare = sum(len(x) for x in self.stretches) - list(blocks.values())[-1][1] if blocks else 0
        while spare > 0 and isinstance(spread := self._layout(wanted, spare), str):
            spare //= 2
        self.blocks = spread if spare > 0 else blocks
        out: dict[str, list[Position]] = {name: [] for name in sizes}
        for name, n in wanted.items():
            grid = self.grid(*self.blocks[name])
            rng.shuffle(grid)
            out[name] = grid[:n]
        return out

    @property
    def n_available(self) -> int:
        return len(self._positions) - self._next

    def chunks(self, n: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
        """The next `n` chunks. With `split_sizes` calls take the splits' windows in the sizes' order, a split in one
        call or in several (one per injected family) that add up to its size, never reaching into the next split."""
        if self._expected is not None:
            left = self._expected[0] if self._expected else 0
            if n > left:
                raise ValueError(f"chunks({n}): only {left} windows are left in the split being drawn")
            self._expected[0] -= n
            if self._expected[0] == 0:
                self._expected.pop(0)
        if n > self.n_available:
            raise GwoscFormatError(
                f"data.files: {n} more windows requested but only {self.n_available} remain; "
                "lower data.n_* or add files"
            )
        taken = self._positions[self._next : self._next + n]
        self._next += n
        for i, start in taken:
            yield self.stretches[i][start : start + self.n_samples]
