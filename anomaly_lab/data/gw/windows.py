"""Turns strain chunks into analysis windows: whiten each chunk, optionally inject a transient, cut the window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from rich.progress import track

from anomaly_lab.data.gw.families import BinaryBlackHole, WaveformFamily
from anomaly_lab.data.gw.injections import InjectionConfig, draw_injection_fields, join_fields, place_in_chunk
from anomaly_lab.data.gw.snr import full_snr
from anomaly_lab.data.gw.whitening import Whitener


class ChunkSource(Protocol):
    """Anything that yields coloured-strain chunks of a fixed length, with their PSD and detector site."""

    site: str
    fs: float
    n_samples: int
    psd: Callable[[np.ndarray], np.ndarray]

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
    family: WaveformFamily | None = None,
) -> dict[str, np.ndarray]:
    """`n` windows with one injection of `family` (default: the BBHs of `injection`) each.

    Each is scaled so that the whitened signal inside the window has the drawn optimal SNR, or left at its source's
    distance in the astrophysical population. Returns the windows, the injected whitened waveform per window (the
    known-signal template) and the parameters: `snr` (the window's SNR), `snr_full` (the whole waveform's, from
    f_low; see `snr.full_snr`) and, for BBHs, `distance_mpc` replaced by the effective distance that gives them.
    """
    family = family or BinaryBlackHole(injection, source.site)
    if injection.snr_distribution == "astrophysical" and not isinstance(family, BinaryBlackHole):
        raise ValueError(
            f"data.injection.snr_distribution=astrophysical: only BBHs have a population, not {family.name!r}"
        )
    params = join_fields(family.draw(n, rng), draw_injection_fields(injection, n, layout.window_s, rng))
    x = np.empty((n, layout.n_window), dtype=np.float32)
    template = np.empty_like(x)
    for i, chunk in enumerate(track(source.chunks(n, rng), total=n, description=label, transient=True)):
        _, template[i], params[i] = scaled_injection(params[i], family, source, whitener, layout, injection.f_min)
        x[i] = whitener(chunk)[layout.start : layout.start + layout.n_window] + template[i]
    return {"x": x, "template": template, "params": params}


def scaled_injection(
    params: np.void,
    family: WaveformFamily,
    source: ChunkSource,
    whitener: Whitener,
    layout: WindowLayout,
    f_low: float,
) -> tuple[np.ndarray, np.ndarray, np.void]:
    """One injection laid into a chunk and scaled to its requested window SNR (unscaled when none is requested):
    (its coloured strain chunk, its whitened window, its parameters with both SNRs (the full one from `f_low`) and,
    for BBHs, the effective distance filled in)."""
    strain, t0 = family.strain(params, layout.fs)
    merger = layout.start + int(round(params["merger_offset_s"] * layout.fs))
    h = place_in_chunk(strain, t0, merger, layout.fs, layout.n_context)
    window = whitener(h)[layout.start : layout.start + layout.n_window]
    measured, full = whitener.optimal_snr(window), full_snr(strain, layout.fs, source.psd, f_low)
    if not np.isfinite(measured) or measured < 1e-6 * full:
        raise ValueError(
            f"data.signals: a {family.name} injection puts no signal in the analysis band inside the window "
            f"(parameters {dict(zip(params.dtype.names, params.tolist(), strict=True))})"
        )
    requested = params["snr"]
    scale = 1.0 if np.isnan(requested) else requested / measured
    out = params.copy()
    out["snr"] = measured if np.isnan(requested) else requested
    out["snr_full"] = scale * full
    if "distance_mpc" in out.dtype.names:
        out["distance_mpc"] /= scale
    return scale * h, scale * window, out
