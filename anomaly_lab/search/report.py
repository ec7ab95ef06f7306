"""The search's numbers as a markdown page: single-detector thresholds, coincidence and background, found
fractions, efficiency per network-SNR bin."""

from __future__ import annotations

from anomaly_lab.search.found import Fraction


def _detector_rows(detectors: dict[str, dict]) -> list[str]:
    rows = ["| detector | noise live time [s] | threshold | FAR [1/h] | trigger threshold | trigger FAR [1/h] | "
            "found (95 % CP) |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, r in detectors.items():
        rows.append(
            f"| {name} | {r['live_s']:.1f} | {r['threshold']:.6g} | {r['far_per_hour']:.3g} | "
            f"{r['trigger_threshold']:.6g} | {r['trigger_far_per_hour']:.3g} | {r['found'].text()} |"
        )
    return rows


def _coincidence_rows(c: dict, target_far: float) -> list[str]:
    floor = 3600.0 / c["slid_live_s"]
    far = f"{c['far_per_hour']:.3g}" if c["far_per_hour"] > 0 else f"< {floor:.3g} (none slid above)"
    return [
        f"- coincidence window: {c['window_s'] * 1e3:.1f} ms = light travel {c['light_travel_s'] * 1e3:.1f} ms "
        f"+ tolerance {c['tolerance_s'] * 1e3:.1f} ms; ranking: the smaller of the two scores",
        f"- zero-lag coincidences: {c['zero_lag_noise']} in the noise-only stretch, {c['zero_lag_injected']} in the "
        "injected one",
        f"- time slides: {c['slides']} of {c['slide_s']:g} s steps, {c['slid_coincidences']} slid coincidences in "
        f"{c['slid_live_s']:.0f} s ({c['slid_live_s'] / 3600:.3g} h) of background live time",
        f"- ranking threshold for FAR <= {target_far:g}/h: {c['ranking_threshold']:.6g}, measured FAR {far}/h",
        f"- found in coincidence: {c['found'].text()}",
    ]


def _efficiency_rows(table: dict[str, list], names: list[str]) -> list[str]:
    head = "| network SNR | n | " + " | ".join(names) + " |"
    rows = [head, "|---" * (len(names) + 2) + "|"]
    for i, (lo, hi) in enumerate(zip(table["snr_low"], table["snr_high"], strict=True)):
        cells = [Fraction(table[f"{n}_k"][i], table["n"][i], table[f"{n}_low"][i], table[f"{n}_high"][i]).text()
                 for n in names]  # fmt: skip
        rows.append(f"| [{lo:g}, {hi:g}) | {table['n'][i]} | " + " | ".join(cells) + " |")
    return rows


def markdown(summary: dict, table: dict[str, list], target_far: float) -> str:
    """The page: what was searched, at which false-alarm rates, and what was found."""
    names = [*summary["detectors"], "coincident"]
    lines = [
        "# Search over a simulated stretch", "",
        f"{summary['n_injections']} injections; found = a trigger peaking within the tolerance of the injection's "
        "arrival time in its detector (both members of a coincidence). Intervals: Clopper-Pearson 95 %.", "",
        "## Single detectors (thresholds set on the noise-only scan)", "", *_detector_rows(summary["detectors"]), "",
        "## Coincidence", "", *_coincidence_rows(summary["coincidence"], target_far), "",
        "## Efficiency per network-SNR bin", "", *_efficiency_rows(table, names), "",
    ]  # fmt: skip
    return "\n".join(lines)
