"""Turns strain chunks into analysis windows: whiten each chunk, optionally inject a BBH, cut the window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from rich.progress import track

from anomaly_lab.data.gw.injections import InjectionConfig, detector_strain, draw_parameters, place_in_chunk
from anomaly_lab.data.gw.whitening import Whitener


class ChunkSource(Protocol):
    """Anything that yields coloured-strain chunks of a fixed length, with their PSD and detector site."""

    site: str
    fs: float
    n_samples: int

    def chunks(self, n: int, rng: np.random.Generator): ...


@dataclass
class WindowLayout:
    """Where the analysed window sits inside its (longer) whitening context chunk."""

    fs: float
    window_s: float
    context_s: float
    window_offset_s: float

    @property
    def n_window(self) -> int:
        return int(round(self.window_s * self.fs))

    @property
    def n_context(self) -> int:
        return int(round(self.context_s * self.fs))

    @property
    def start(self) -> int:
        return int(round(self.window_offset_s * self.fs))

    def check(self, edge_taper_s: float) -> None:
        if self.window_offset_s < edge_taper_s or self.window_offset_s + self.window_s > self.context_s - edge_taper_s:
            raise ValueError(
                f"data.window_offset_s={self.window_offset_s}: the window must lie inside the context "
                f"({self.context_s} s) clear of the {edge_taper_s} s edge tapers"
            )


def background_windows(
    source: ChunkSource,
    whitener: Whitener,
    layout: WindowLayout,
    n: int,
    rng: np.random.Generator,
    label: str,
) -> np.ndarray:
    """`n` whitened noise-only windows, float32 of shape (n, n_window)."""
    out = np.empty((n, layout.n_window), dtype=np.float32)
    sl = slice(layout.start, layout.start + layout.n_window)
    for i, chunk in enumerate(track(source.chunks(n, rng), total=n, description=label, transient=True)):
        out[i] = whitener(chunk)[sl]
    return out


def signal_windows(
    source: ChunkSource,
    whitener: Whitener,
    layout: WindowLayout,
    injection: InjectionConfig,
    n: int,
    rng: np.random.Generator,
    label: str,
) -> dict[str, np.ndarray]:
    """`n` windows with one BBH each, scaled so the whitened in-window signal has the drawn optimal SNR.

    Returns the windows, the injected whitened waveform per window (the known-signal template) and the
    injection parameters, `distance_mpc` replaced by the effective distance that gives that SNR.
    """
    params = draw_parameters(injection, n, layout.window_s, rng)
    x = np.empty((n, layout.n_window), dtype=np.float32)
    template = np.empty_like(x)
    sl = slice(layout.start, layout.start + layout.n_window)
    for i, chunk in enumerate(track(source.chunks(n, rng), total=n, description=label, transient=True)):
        h, template[i], scale = scaled_injection(params[i], source.site, whitener, layout, injection)
        x[i] = whitener(chunk)[sl] + template[i]
        params[i]["distance_mpc"] /= scale
    return {"x": x, "template": template, "params": params}


def scaled_injection(
    params: np.void, site: str, whitener: Whitener, layout: WindowLayout, injection: InjectionConfig
) -> tuple[np.ndarray, np.ndarray, float]:
    """One injection scaled to its requested SNR: (coloured strain chunk, whitened window, amplitude scale)."""
    strain, t0 = detector_strain(params, site, layout.fs, injection)
    merger = layout.start + int(round(params["merger_offset_s"] * layout.fs))
    h = place_in_chunk(strain, t0, merger, layout.fs, layout.n_context)
    window = whitener(h)[layout.start : layout.start + layout.n_window]
    scale = params["snr"] / whitener.optimal_snr(window)
    return scale * h, scale * window, scale
