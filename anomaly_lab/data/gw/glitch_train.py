"""The glitches of one simulated stream: Poisson arrival times, a family and an SNR each, rendered into the noise."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from anomaly_lab.data.gw.snr import full_snr

if TYPE_CHECKING:
    from anomaly_lab.data.gw.stream import StreamNoise


class GlitchRecord(NamedTuple):
    """One glitch added to a stream (0: the PSD's other data, then one per `chunks` call): where (stream samples
    [start, stop), reference time [s]), its optimal SNR and family code."""

    stream: int
    time_s: float
    start: int
    stop: int
    snr: float
    family: int


class GlitchTrain:
    """The glitches of one stream, drawn a block ahead so waveforms reaching back across a block edge are not lost."""

    def __init__(self, source: StreamNoise, rng: np.random.Generator, stream: int) -> None:
        self.source, self.rng, self.stream = source, rng, stream
        self.live: list[tuple[GlitchRecord, np.ndarray]] = []
        self._drawn_until = -source._n_segment  # samples; glitches just before the start may reach into it

    def add_to(self, block: np.ndarray, b0: int) -> None:
        """Adds the glitches overlapping samples [b0, b0 + len(block)) of the stream to `block`."""
        b1 = b0 + len(block)
        while self._drawn_until < b1 + self.source._n_segment:
            self._draw(self._drawn_until, self._drawn_until + self.source._n_segment)
        for record, h in self.overlapping(b0, b1):
            lo, hi = max(record.start, b0), min(record.stop, b1)
            block[lo - b0 : hi - b0] += h[lo - record.start : hi - record.start]

    def overlapping(self, s0: int, s1: int) -> list[tuple[GlitchRecord, np.ndarray]]:
        return [(r, h) for r, h in self.live if r.start < s1 and r.stop > s0]

    def render(self, s0: int, s1: int) -> np.ndarray:
        """The glitches alone over stream samples [s0, s1)."""
        out = np.zeros(s1 - s0)
        self.add_to(out, s0)
        return out

    def forget_before(self, sample: int) -> None:
        self.live = [(r, h) for r, h in self.live if r.stop > sample]

    def _draw(self, s0: int, s1: int) -> None:
        src, fs = self.source, self.source.fs
        n = self.rng.poisson(src.rate_per_hour * (s1 - s0) / fs / 3600) if src.families else 0
        times = np.sort(self.rng.uniform(s0 / fs, s1 / fs, n))
        codes = self.rng.choice(len(src.families), size=n, p=src.weights) + 1 if n else []
        snrs = src.draw_snr(n, self.rng)
        for t, code, snr in zip(times, codes, snrs, strict=True):
            family = src.families[code - 1]
            h, t0 = family.strain(family.draw(1, self.rng)[0], fs)
            h = h * snr / full_snr(h, fs, src.true_psd, *src.band)
            start = int(round((t + t0) * fs))
            record = GlitchRecord(self.stream, float(t), start, start + len(h), float(snr), int(code))
            src.glitch_log.append(record)
            self.live.append((record, h))
        self._drawn_until = s1
