"""StreamNoise: continuous, non-periodic chunks of design-PSD noise, an estimated PSD, and glitch bookkeeping."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import welch

from anomaly_lab.data.gw.glitches import BlipGlitch
from anomaly_lab.data.gw.snr import full_snr
from anomaly_lab.data.gw.sources import SimulatedNoise
from anomaly_lab.data.gw.stream import CROSSFADE_S, StreamNoise

FS, N = 2048.0, 16384  # 8 s chunks
W0, NW = int(5.5 * FS), 512  # the 0.25 s analysis window at 5.5 s
SMALL = {"segment_s": 64.0, "psd_data_s": 64.0}  # short segments: many joins, fast tests


def _source(**kw) -> StreamNoise:
    return StreamNoise("aligo", FS, N, W0, NW, **{**SMALL, "glitch_rate_per_hour": 0.0, **kw})


def test_consecutive_chunks_agree_on_their_overlap_across_segment_joins() -> None:
    chunks = list(_source().chunks(300, np.random.default_rng(0)))  # 75 s + 8 s: crosses a 56 s block edge
    for a, b in zip(chunks, chunks[1:], strict=False):
        np.testing.assert_array_equal(a[NW:], b[:-NW])
    # windows one window apart never overlap
    assert (
        np.sum([np.array_equal(a[W0 : W0 + NW], b[W0 : W0 + NW]) for a, b in zip(chunks, chunks[1:], strict=False)])
        == 0
    )


def test_chunks_are_not_periodic_unlike_simulated_noise() -> None:
    # a periodic chunk wraps smoothly (last sample -> first like any neighbours); a cut from a stream jumps
    def wrap_jump(chunks: list[np.ndarray]) -> float:
        x = np.array(chunks)
        return np.mean((x[:, 0] - x[:, -1]) ** 2) / np.mean(np.diff(x, axis=1) ** 2)

    # aLIGO noise at 2048 Hz has lag-1 correlation ~0.55, so a jump is ~2.2 x a step; 200 chunks: ~10 % scatter
    stream = list(_source(step=N).chunks(200, np.random.default_rng(1)))
    periodic = list(SimulatedNoise("aligo", FS, N).chunks(200, np.random.default_rng(1)))
    assert wrap_jump(periodic) < 1.35
    assert wrap_jump(stream) > 1.6


def test_stream_has_the_design_psd_and_keeps_its_variance_through_crossfades() -> None:
    source = _source(step=N)
    x = np.concatenate(list(source.chunks(60, np.random.default_rng(2))))  # 480 s: 8 segment joins
    freqs, pxx = welch(x, fs=FS, nperseg=int(4 * FS))
    band = (freqs >= 20) & (freqs <= 500)
    ratio = pxx[band] / source.true_psd(freqs)[band]
    # mean-averaged Welch over ~240 segments: about 7 % scatter per bin
    assert np.median(ratio) == pytest.approx(1.0, abs=0.03)
    assert np.mean(np.abs(ratio - 1) > 0.3) < 0.01
    # the middle of each crossfade: a linear (not power-complementary) fade would halve the variance there
    hop, fade = int((SMALL["segment_s"] - CROSSFADE_S) * FS), int(CROSSFADE_S * FS)
    mid = np.concatenate([x[k * hop - fade // 2 - 2048 : k * hop - fade // 2 + 2048] for k in range(1, 8)])
    assert np.var(mid) / np.var(x) == pytest.approx(1.0, abs=0.2)


def test_welch_psd_is_an_estimate_close_to_but_not_the_truth() -> None:
    source = StreamNoise("aligo", FS, N, W0, NW, psd_data_s=256.0)
    freqs = np.arange(20.0, 500.0, 0.25)
    ratio = source.psd(freqs) / source.true_psd(np.fft.rfftfreq(int(4 * FS), 1 / FS))[80:2000]
    assert np.median(ratio) == pytest.approx(1.0, abs=0.05)
    assert np.std(ratio) > 0.03  # ~127 median-averaged segments: ~10 % scatter, not the exact curve
    # a different seed is different "other data"
    other = StreamNoise("aligo", FS, N, W0, NW, psd_data_s=256.0, psd_seed=1)
    assert not np.allclose(other.psd(freqs), source.psd(freqs), rtol=0.01, atol=0)


def test_glitch_count_matches_the_rate() -> None:
    source = _source(glitch_rate_per_hour=3600.0, step=N)
    list(source.chunks(75, np.random.default_rng(3)))  # 600 s of stream
    t_end = (74 * N + N) / FS
    n = sum(1 for g in source.glitch_log if g.stream == 1 and 0 <= g.time_s < t_end)
    assert abs(n - t_end) < 3 * np.sqrt(t_end)
    # both default families appear
    assert {g.family for g in source.glitch_log} == {1, 2}


class _PlantedBlip:
    """A fixed 100 Hz blip, so every planted glitch is known exactly."""

    name, parameter_names = "planted", ("f0_hz", "q", "phase", "duration_s")

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        out = np.zeros(n, dtype=[(k, "f8") for k in self.parameter_names])
        out["f0_hz"], out["q"], out["duration_s"] = 100.0, 2.0, 2 * 2.0 / (np.sqrt(2) * np.pi * 100.0)
        return out

    def strain(self, params: np.void, fs: float) -> tuple[np.ndarray, float]:
        return BlipGlitch().strain(params, fs)


def test_window_glitches_record_the_planted_glitches() -> None:
    kw = {"glitch_families": [BlipGlitch(), _PlantedBlip()], "glitch_weights": [0.0, 1.0]}
    glitchy = _source(glitch_rate_per_hour=1800.0, **kw)
    clean = _source(glitch_rate_per_hour=0.0)
    n = 400  # 100 s, ~50 glitches; the same rng gives both streams the same noise
    pairs = zip(glitchy.chunks(n, np.random.default_rng(4)), clean.chunks(n, np.random.default_rng(4)), strict=True)
    diffs = [g - c for g, c in pairs]
    records = [g for g in glitchy.glitch_log if g.stream == 1]
    hits = 0
    for i, (diff, wg) in enumerate(zip(diffs, glitchy.window_glitches, strict=True)):
        w0 = i * NW + W0
        overlapping = [g for g in records if g.start < w0 + NW and g.stop > w0]
        assert (wg.snr > 0) == bool(overlapping) == bool(np.any(diff[W0 : W0 + NW]))
        if overlapping:
            hits += 1
            loudest = max(overlapping, key=lambda g: g.snr)
            assert (wg.snr, wg.family) == (loudest.snr, 2) and wg.window_snr > 0
    assert hits > 5 and len(glitchy.window_glitches) == n and clean.window_glitches[0] == (0.0, 0, 0.0)
    # each glitch alone in the stream is the planted waveform at its recorded place, at its recorded SNR
    template = _PlantedBlip().strain(_PlantedBlip().draw(1, None)[0], FS)[0]
    checked = 0
    for g in records:
        alone = not any(o is not g and o.start < g.stop and o.stop > g.start for o in records)
        i = g.start // NW  # the chunk starting just before the glitch
        if alone and 0 <= i < n and g.stop <= i * NW + N:
            piece = diffs[i][g.start - i * NW : g.stop - i * NW]
            np.testing.assert_allclose(piece / np.abs(piece).max(), template / np.abs(template).max(), atol=1e-9)
            assert full_snr(piece, FS, glitchy.true_psd, 20.0, 500.0) == pytest.approx(g.snr, rel=1e-6)
            checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    ("kw", "key"),
    [
        ({"glitch_rate_per_hour": -1.0}, "data.noise.glitch_rate_per_hour: expected >= 0, got -1"),
        ({"step": NW - 1}, "data.noise.step"),
        ({"glitch_snr_min": 0.0}, "data.noise.glitch_snr_min"),
        ({"glitch_weights": [1.0]}, "data.noise.glitch_weights"),
        ({"segment_s": 16.0}, "data.noise.segment_s"),
    ],
)
def test_bad_arguments_name_their_config_key(kw: dict, key: str) -> None:
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        _source(**kw)
