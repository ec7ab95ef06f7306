"""Chunks cut from one continuous simulated strain stream, whitened with an estimated PSD, optionally with glitches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np

from anomaly_lab.data.gw.families import WaveformFamily
from anomaly_lab.data.gw.glitch_train import GlitchRecord, GlitchTrain
from anomaly_lab.data.gw.glitches import BlipGlitch, ScatteredLightArch
from anomaly_lab.data.gw.psd import DESIGN_SITES, DesignPSD, InterpolatedPSD, welch_psd
from anomaly_lab.data.gw.whitening import Whitener, coloured_noise

# consecutive periodic irfft segments are joined by a power-complementary crossfade of this length
CROSSFADE_S = 8.0
# keeps the "other data" for the PSD estimate on its own random stream, whatever seed the splits use
PSD_STREAM_KEY = 0x50534400


class WindowGlitch(NamedTuple):
    """Glitch content of one chunk's analysis window: loudest overlapping glitch (SNR over its full extent, family
    code, 0 and 0 if none) and the optimal SNR of all glitches inside the whitened window itself."""

    snr: float
    family: int
    window_snr: float


class StreamNoise:
    """Chunks cut one `step` apart from a continuous design-PSD noise stream, so windows are fresh but contexts overlap.

    Unlike `SimulatedNoise`, chunks are not periodic and `.psd` is not the truth: it is a median-Welch
    estimate from `psd_data_s` of independent "other data" of the same kind, as an analysis would have.
    Each `chunks(n, rng)` call starts a new stream from `rng`. Glitches arrive as a Poisson process at
    `glitch_rate_per_hour` (default 60/h, ~1 per minute as in O3; ~6 % of 0.25 s windows then overlap one,
    nearly all of them scattered-light arches, which last seconds), each from one of `glitch_families`
    (chosen by `glitch_weights`) at an optimal SNR (design PSD, band [f_low, f_high], full extent) drawn
    from p(snr) ~ snr^-glitch_snr_index on [glitch_snr_min, glitch_snr_max] (index 1: log-uniform), and
    added to the coloured stream before chunks are cut. Family codes are 1 + the index in
    `glitch_families`, 0 meaning none; `window_glitches` gets one `WindowGlitch` per yielded chunk.
    """

    def __init__(
        self,
        detector: str,
        fs: float,
        n_samples: int,
        window_start: int,
        n_window: int,
        step: int | None = None,
        segment_s: float = 512.0,
        psd_data_s: float = 256.0,
        psd_segment_s: float = 4.0,
        psd_seed: int = 0,
        glitch_rate_per_hour: float = 60.0,
        glitch_families: Sequence[WaveformFamily] | None = None,
        glitch_weights: Sequence[float] | None = None,
        glitch_snr_min: float = 6.0,
        glitch_snr_max: float = 50.0,
        glitch_snr_index: float = 1.0,
        f_low: float = 20.0,
        f_high: float = 500.0,
    ) -> None:
        step = n_window if step is None else step
        _check_layout(fs, n_samples, window_start, n_window, step, segment_s, psd_data_s, psd_segment_s)
        if glitch_rate_per_hour < 0:
            raise ValueError(f"data.noise.glitch_rate_per_hour: expected >= 0, got {glitch_rate_per_hour}")
        if not 0 < glitch_snr_min <= glitch_snr_max:
            got = f"[{glitch_snr_min}, {glitch_snr_max}]"
            raise ValueError(f"data.noise.glitch_snr_min/max: expected 0 < min <= max, got {got}")
        self.families = list(glitch_families) if glitch_families is not None else [BlipGlitch(), ScatteredLightArch()]
        self.weights = _family_weights(glitch_weights, len(self.families))
        self.site, self.fs, self.n_samples = DESIGN_SITES[detector], fs, n_samples
        self.true_psd = DesignPSD(detector)
        self.window_start, self.n_window, self.step = window_start, n_window, step
        self.rate_per_hour, self.band = glitch_rate_per_hour, (f_low, f_high)
        self.snr_range, self.snr_index = (glitch_snr_min, glitch_snr_max), glitch_snr_index
        self._n_segment = int(round(segment_s * fs))
        self._n_fade = int(round(CROSSFADE_S * fs))
        self._segment_psd = self.true_psd(np.fft.rfftfreq(self._n_segment, 1 / fs))
        self.window_glitches: list[WindowGlitch] = []
        self.glitch_log: list[GlitchRecord] = []
        self._n_streams = 0
        self._window_whitener: Whitener | None = None
        self.psd = self._estimate_psd(psd_data_s, psd_segment_s, psd_seed)

    @property
    def family_codes(self) -> dict[str, int]:
        """Family name -> code stored in `window_glitches` (0: no glitch)."""
        return {f.name: i + 1 for i, f in enumerate(self.families)}

    def chunks(self, n: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
        """`n` consecutive chunks of a fresh stream, one `step` apart; records their windows' glitches."""
        stream = self._stream(rng)
        for i in range(n):
            start = i * self.step
            chunk = stream.read(start, start + self.n_samples)
            self.window_glitches.append(self._window_glitch(stream.glitches, start))
            yield chunk

    def _stream(self, rng: np.random.Generator) -> _Stream:
        noise_rng, glitch_rng = rng.spawn(2)
        self._n_streams += 1
        glitches = GlitchTrain(self, glitch_rng, self._n_streams - 1)
        return _Stream(self._noise_blocks(noise_rng), glitches)

    def _noise_blocks(self, rng: np.random.Generator) -> Iterator[np.ndarray]:
        """Continuous coloured noise, `segment - fade` samples at a time: the middles of periodic irfft segments,
        each joined to the next by a cos/sin crossfade (power-complementary, so the variance stays put)."""
        n, fade = self._n_segment, self._n_fade
        theta = np.pi / 2 * (np.arange(fade) + 0.5) / fade
        current = coloured_noise(self._segment_psd, self.fs, n, rng)
        while True:
            following = coloured_noise(self._segment_psd, self.fs, n, rng)
            block = current[fade:].copy()
            block[-fade:] = current[-fade:] * np.cos(theta) + following[:fade] * np.sin(theta)
            yield block
            current = following

    def _estimate_psd(self, duration_s: float, segment_s: float, seed: int) -> InterpolatedPSD:
        """Median-Welch PSD of independent "other data" (glitches included), as a search would estimate it."""
        stream = self._stream(np.random.default_rng([PSD_STREAM_KEY, seed]))
        return welch_psd([stream.read(0, int(round(duration_s * self.fs)))], self.fs, segment_s)

    def _window_glitch(self, glitches: GlitchTrain, chunk_start: int) -> WindowGlitch:
        w0 = chunk_start + self.window_start
        hits = glitches.overlapping(w0, w0 + self.n_window)
        if not hits:
            return WindowGlitch(0.0, 0, 0.0)
        loudest = max(hits, key=lambda g: g[0].snr)[0]
        whitened = self._whitener()(glitches.render(chunk_start, chunk_start + self.n_samples))
        window_snr = self._whitener().optimal_snr(whitened[self.window_start : self.window_start + self.n_window])
        return WindowGlitch(loudest.snr, loudest.family, window_snr)

    def _whitener(self) -> Whitener:
        """Exact whitening with the true PSD, for the glitch SNR inside a window."""
        if self._window_whitener is None:
            self._window_whitener = Whitener(self.true_psd, self.fs, self.n_samples, *self.band)
        return self._window_whitener

    def draw_snr(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Glitch SNRs from p(snr) ~ snr^-index on [glitch_snr_min, glitch_snr_max] by inverting the CDF."""
        lo, hi = self.snr_range
        u = rng.uniform(size=n)
        if self.snr_index == 1:
            return lo * (hi / lo) ** u
        a = 1 - self.snr_index
        return (lo**a + u * (hi**a - lo**a)) ** (1 / a)


class _Stream:
    """Reads a stream forward: keeps only the samples still needed, pulling noise blocks and adding glitches."""

    def __init__(self, blocks: Iterator[np.ndarray], glitches: GlitchTrain) -> None:
        self.blocks, self.glitches = blocks, glitches
        self._buffer, self._offset = np.zeros(0), 0

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples [start, stop) of the stream; `start` must not go back before an earlier read's start."""
        if start < self._offset:
            raise ValueError(f"stream reads go forward: sample {start} was already dropped")
        parts = [self._buffer[start - self._offset :]]
        end = self._offset + len(self._buffer)
        while end < stop:
            block = next(self.blocks)
            self.glitches.add_to(block, end)
            parts.append(block)
            end += len(block)
        # a view while no block is added: a copy per block, not per chunk
        self._buffer = parts[0] if len(parts) == 1 else np.concatenate(parts)
        self._offset = start
        self.glitches.forget_before(start)
        return self._buffer[: stop - start].copy()


def _family_weights(weights: Sequence[float] | None, n: int) -> np.ndarray:
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if len(w) != n or (n and (np.any(w < 0) or w.sum() <= 0)):
        raise ValueError(f"data.noise.glitch_weights: expected {n} non-negative weights, not all 0, got {list(w)}")
    return w / w.sum() if n else w


def _check_layout(
    fs: float,
    n_samples: int,
    window_start: int,
    n_window: int,
    step: int,
    segment_s: float,
    psd_data_s: float,
    psd_segment_s: float,
) -> None:
    if not (window_start >= 0 and n_window > 0 and window_start + n_window <= n_samples):
        window = f"[{window_start}, {window_start + n_window})"
        raise ValueError(f"data.window_offset_s: window {window} is not inside the {n_samples}-sample chunk")
    if step < n_window:
        raise ValueError(f"data.noise.step: expected >= the window length {n_window} (no overlap), got {step}")
    if segment_s * fs < n_samples + 2 * CROSSFADE_S * fs:
        raise ValueError(f"data.noise.segment_s: expected >= chunk + 2 x {CROSSFADE_S} s crossfade, got {segment_s}")
    if psd_data_s < psd_segment_s:
        raise ValueError(f"data.noise.psd_data_s: expected >= psd_segment_s = {psd_segment_s}, got {psd_data_s}")
