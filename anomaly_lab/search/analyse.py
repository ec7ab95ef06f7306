"""The search's numbers from scanner outputs: single-detector thresholds at a noise-only FAR, coincidences and their
time-slide background, found injections per detector and in coincidence, efficiency per network-SNR bin."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from anomaly_lab.atomic import write_text_atomic
from anomaly_lab.scan.writers import write_csv
from anomaly_lab.search import far as single
from anomaly_lab.search.coincidence import coincidences, light_travel_s, time_slides
from anomaly_lab.search.found import Fraction, efficiency, found_pairs, near
from anomaly_lab.search.report import markdown
from anomaly_lab.search.tables import Scan, read_injections, read_scans


@dataclass
class AnalyseOptions:
    """Scanner outputs (directories or scores.h5) of the noise-only and the injected stretch, the injection list, and
    the search's settings: FARs per hour (single-detector threshold, each detector's trigger threshold entering
    coincidence, coincident ranking threshold from time slides), slides, tolerances in seconds, SNR bin edges."""

    noise: list[Path]
    injected: list[Path]
    injections: Path
    output: Path
    single_far: float = 10.0
    trigger_far: float = 100.0
    far: float = 1.0
    slide_s: float = 5.0
    slides: int = 50
    tolerance_s: float | None = None
    found_s: float = 0.1
    snr_edges: list[float] = field(default_factory=lambda: [0.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0, 1000.0])


def _detectors(noise: dict[str, Scan], injected: dict[str, Scan]) -> list[str]:
    """The two detectors both scans hold, in name order."""
    if sorted(noise) != sorted(injected) or len(noise) != 2:
        raise ValueError(f"noise= holds {sorted(noise)}, injected= holds {sorted(injected)}: expected the same two")
    return sorted(noise)


def _span(scans: list[Scan]) -> tuple[float, float]:
    """The GPS interval every scan covers."""
    return max(s.span[0] for s in scans), min(s.span[1] for s in scans)


def single_detector(noise: Scan, injected: Scan, arrival: np.ndarray, opts: AnalyseOptions) -> dict:
    """Thresholds set on the noise-only scan (at `single_far` and `trigger_far` per hour), their measured FARs, and
    the injections found by the injected scan's triggers above the single-detector threshold."""
    threshold = single.threshold_at_far(noise, opts.single_far)
    trigger = single.threshold_at_far(noise, opts.trigger_far)
    found = near(injected.triggers(threshold)["gps_peak"], arrival, opts.found_s)
    return {
        "live_s": noise.live_s, "threshold": threshold, "far_per_hour": single.far_per_hour(noise, threshold),
        "trigger_threshold": trigger, "trigger_far_per_hour": single.far_per_hour(noise, trigger),
        "found": Fraction.of(found), "found_mask": found,
    }  # fmt: skip


def _peaks(scan: Scan, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    trig = scan.triggers(threshold)
    return trig["gps_peak"], trig["score"]


def coincident(noise: dict[str, Scan], injected: dict[str, Scan], thresholds: dict[str, float],
               injections: dict[str, np.ndarray], opts: AnalyseOptions) -> dict:  # fmt: skip
    """Zero-lag and slid coincidences of the noise-only triggers, the ranking threshold at `far` per hour, and the
    injections found by coincidences of the injected scan ranked at or above it."""
    a, b = sorted(noise)
    tolerance = noise[a].window_s / 2 if opts.tolerance_s is None else opts.tolerance_s
    window = light_travel_s(a, b) + tolerance
    span = _span([*noise.values(), *injected.values()])
    na, nb = (_peaks(noise[d], thresholds[d]) for d in (a, b))
    background = time_slides(na, nb, window, opts.slide_s, opts.slides, span)
    rank = background.threshold_at_far(opts.far)
    (ta, sa), (tb, sb) = (_peaks(injected[d], thresholds[d]) for d in (a, b))
    pairs = coincidences(ta, sa, tb, sb, window)
    loud = pairs.ranking >= rank
    found = found_pairs(ta[pairs.index_a[loud]], tb[pairs.index_b[loud]], injections[f"gps_{a}"],
                        injections[f"gps_{b}"], opts.found_s)  # fmt: skip
    return {
        "window_s": window, "light_travel_s": light_travel_s(a, b), "tolerance_s": tolerance, "span": list(span),
        "zero_lag_noise": len(coincidences(*na, *nb, window)), "zero_lag_injected": len(pairs),
        "slides": len(background.counts), "slide_s": opts.slide_s, "slid_coincidences": len(background.rankings),
        "slid_live_s": background.live_s, "ranking_threshold": rank, "far_per_hour": background.far_per_hour(rank),
        "found": Fraction.of(found), "found_mask": found,
    }  # fmt: skip


def efficiency_table(snr: np.ndarray, masks: dict[str, np.ndarray], edges: list[float]) -> dict[str, list]:
    """Per network-SNR bin, each detector's and the coincident found fraction with its interval (CSV columns)."""
    table: dict[str, list] = {}
    for name, mask in masks.items():
        rows = efficiency(snr, mask, edges)
        table["snr_low"], table["snr_high"] = [r[0] for r in rows], [r[1] for r in rows]
        table["n"] = [r[2].n for r in rows]
        for key in ("k", "value", "low", "high"):
            table[f"{name}_{key}"] = [getattr(r[2], key) for r in rows]
    return table


def analyse(opts: AnalyseOptions) -> list[str]:
    """Read the scans and the injection list, compute the search's numbers, write `summary.json`, `efficiency.csv`
    and `search.md` into `opts.output`; the summary lines."""
    noise, injected = read_scans(opts.noise), read_scans(opts.injected)
    detectors = _detectors(noise, injected)
    injections = read_injections(opts.injections, detectors)
    per_det = {d: single_detector(noise[d], injected[d], injections[f"gps_{d}"], opts) for d in detectors}
    coinc = coincident(noise, injected, {d: r["trigger_threshold"] for d, r in per_det.items()}, injections, opts)
    masks = {d: r.pop("found_mask") for d, r in per_det.items()} | {"coincident": coinc.pop("found_mask")}
    table = efficiency_table(injections["snr_network"], masks, opts.snr_edges)
    summary = {"detectors": per_det, "coincidence": coinc, "n_injections": len(injections["gps_geocent"])}
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(opts).items()}
    text = json.dumps({"settings": settings, **summary}, indent=1, default=_json)
    write_text_atomic(opts.output / "summary.json", text + "\n")
    write_csv(opts.output / "efficiency.csv", {k: np.asarray(v) for k, v in table.items()})
    write_text_atomic(opts.output / "search.md", markdown(summary, table, opts.far))
    return [f"{opts.output / name}" for name in ("search.md", "summary.json", "efficiency.csv")]


def _json(value: object) -> object:
    """Fractions and paths as JSON."""
    if isinstance(value, Fraction):
        return {**asdict(value), "value": value.value}
    return str(value)
