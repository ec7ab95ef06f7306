"""Which simulated noise a GW run uses: ideal independent chunks, or one continuous stream whitened with an estimated
PSD, with glitches; the `data.noise` settings checked, and the stream source built from them."""

from __future__ import annotations

from typing import Any

import numpy as np

from anomaly_lab.data.gw.families import make_family
from anomaly_lab.data.gw.injections import InjectionConfig
from anomaly_lab.data.gw.stream import StreamNoise
from anomaly_lab.data.gw.windows import WindowLayout

# `independent`: a fresh periodic chunk per window whitened with the very PSD that made it (ideal whitening);
# `stream`: chunks cut from one continuous stream and whitened with a median-Welch PSD of `psd_data_s` seconds of
# other data, with glitches (blips, scattered-light arches) at `glitch_rate_per_hour`; see stream.StreamNoise
NOISE_DEFAULTS: dict[str, Any] = {
    "model": "independent",
    "psd_data_s": 256.0,
    "glitch_rate_per_hour": 0.0,
    "glitch_families": ["blip", "scattered_light"],
    "glitch_weights": None,
    "glitch_snr_min": 6.0,
    "glitch_snr_max": 50.0,
}


GLITCH_FAMILIES = ("blip", "scattered_light")


def noise_settings(noise: dict[str, Any] | None, source: str) -> dict[str, Any]:
    """`data.noise` over its defaults, checked: a known model, known keys, glitches only in a simulated stream."""
    out = {**NOISE_DEFAULTS, **(noise or {})}
    if out["model"] not in ("independent", "stream"):
        raise ValueError(f"data.noise.model: expected 'independent' or 'stream', got {out['model']!r}")
    if set(out) - set(NOISE_DEFAULTS):
        raise ValueError(f"data.noise: unknown keys {sorted(set(out) - set(NOISE_DEFAULTS))}")
    if out["glitch_rate_per_hour"] and (out["model"] != "stream" or source != "simulated"):
        raise ValueError("data.noise.glitch_rate_per_hour: glitches are added to simulated noise with model=stream")
    if out["model"] == "stream" and source != "simulated":
        raise ValueError(
            "data.noise.model=stream: only simulated noise is made as a stream (GWOSC data is one)"
        )
    unknown = sorted(set(out["glitch_families"]) - set(GLITCH_FAMILIES))
    if unknown:
        raise ValueError(f"data.noise.glitch_families: expected names from {list(GLITCH_FAMILIES)}, got {unknown}")
    return out


def stream_noise(
    noise: dict[str, Any], detector: str, layout: WindowLayout, psd_segment_s: float, seed: int,
    band: tuple[float, float],
) -> StreamNoise:  # fmt: skip
    """The continuous-stream source the settings describe (its PSD estimated with the run's Welch segment)."""
    glitches = [make_family(name, InjectionConfig(), "H1") for name in noise["glitch_families"]]
    return StreamNoise(
        detector, layout.fs, layout.n_context, layout.start, layout.n_window, psd_data_s=noise["psd_data_s"],
        psd_segment_s=psd_segment_s, psd_seed=seed, glitch_rate_per_hour=noise["glitch_rate_per_hour"],
        glitch_families=glitches, glitch_weights=noise["glitch_weights"], glitch_snr_min=noise["glitch_snr_min"],
        glitch_snr_max=noise["glitch_snr_max"], f_low=band[0], f_high=band[1],
    )  # fmt: skip


def window_glitch_snr(source: object, n: int) -> np.ndarray:
    """The glitch SNR inside each of the last `n` windows a stream source made (zeros for any other source)."""
    if not isinstance(source, StreamNoise):
        return np.zeros(n)
    return np.array([g.window_snr for g in source.window_glitches[len(source.window_glitches) - n :]])
