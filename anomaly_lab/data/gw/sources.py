"""Where strain chunks come from: fresh simulated noise per window, or disjoint stretches of GWOSC data."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

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


class GwoscStrain:
    """Chunks cut from the valid stretches of GWOSC files; each chunk position is handed out once."""

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
    ) -> None:
        if not files:
            raise GwoscFormatError("data.files: expected at least one GWOSC file with data.source=gwosc")
        segments = [read_gwosc(f, dq_flags, inj_flags) for f in files]
        detectors = {s.detector for s in segments}
        if len(detectors) != 1:
            raise GwoscFormatError(f"data.files: expected files of one detector, got {sorted(detectors)}")
        self.site = detectors.pop()
        self.fs, self.n_samples = fs, n_samples
        self.stretches = [x for s in segments for x in valid_stretches(s, fs, n_samples / fs)]
        if not self.stretches:
            raise GwoscFormatError(f"data.files: no valid stretch of at least {n_samples / fs} s after DQ and NaN cuts")
        self.psd = welch_psd(self.stretches, fs, psd_segment_s)
        # chunks overlap in their context but their analysed windows (one `step` apart) never do
        self._positions = [(i, s) for i, x in enumerate(self.stretches) for s in range(0, len(x) - n_samples + 1, step)]
        np.random.default_rng(seed).shuffle(self._positions)
        self._next = 0

    @property
    def n_available(self) -> int:
        return len(self._positions) - self._next

    def chunks(self, n: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
        if n > self.n_available:
            raise GwoscFormatError(
                f"data.files: {n} more windows requested but only {self.n_available} remain; "
                "lower data.n_* or add files"
            )
        taken = self._positions[self._next : self._next + n]
        self._next += n
        for i, start in taken:
            yield self.stretches[i][start : start + self.n_samples]
