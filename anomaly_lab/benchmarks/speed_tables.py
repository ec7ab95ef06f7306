"""Tables of `make bench`'s training and scoring rates: each of our rows set against the plain loop of the same
precision (its twin) and the fastest plain loop, with forward FLOPs per sample and the achieved TFLOP/s."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from anomaly_lab.atomic import write_text_atomic

Row = dict[str, Any]
FLOPS_PER_FORWARD = {"training": 3, "scoring": 1}  # a training step costs about forward + twice that backward
SUMMARY_NAMES = {"training": "training, Lightning Trainer", "scoring": "scoring, pipeline scorer"}


def _same_setting(a: Row, b: Row) -> bool:
    return (a["network"], a["task"], a["batch"]) == (b["network"], b["task"], b["batch"])


def _paired_ratio(rates: Sequence[float], others: Sequence[Sequence[float]]) -> float | None:
    """Median over repeats of a rate over the best of `others` in the same repeat: paths run back to back in each
    repeat, so a drift in machine load between repeats cancels."""
    if not others:
        return None
    ratios = [rate / max(o[r] for o in others) for r, rate in enumerate(rates) if all(len(o) > r for o in others)]
    return float(statistics.median(ratios)) if ratios else None


def with_ratios(rows: Sequence[Row]) -> list[Row]:
    """Rows with `tflops`, `vs_twin` (against its plain twin) and `vs_best_plain` (against the fastest plain path of
    each repeat) filled in where measured, and the twin's and the fastest plain path's rates beside them."""
    out = []
    for row in rows:
        row = dict(row)
        rate = row.get("samples_per_s")
        plain = [p for p in rows if p["kind"] == "plain" and _same_setting(p, row) and p.get("samples_per_s")]
        twin = [p["rates"] for p in plain if p["path"] == row.get("twin")]
        row["tflops"] = rate * row["forward_flops"] * FLOPS_PER_FORWARD[row["task"]] / 1e12 if rate else None
        row["vs_twin"] = _paired_ratio(row["rates"], twin) if rate else None
        row["vs_best_plain"] = _paired_ratio(row["rates"], [p["rates"] for p in plain]) if rate else None
        row["twin_samples_per_s"] = next((p["samples_per_s"] for p in plain if p["path"] == row.get("twin")), None)
        row["best_plain_samples_per_s"] = max((p["samples_per_s"] for p in plain), default=None)
        out.append(row)
    return out


def ordered(rows: Sequence[Row]) -> list[Row]:
    """Rows for reading: networks in the order run, training before scoring, smaller batches first."""
    networks = list(dict.fromkeys(r["network"] for r in rows))
    return sorted(rows, key=lambda r: (networks.index(r["network"]), r["task"] != "training", r["batch"]))


def _num(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def summary_table(rows: Sequence[Row]) -> list[str]:
    """One line per network, task and batch: the study's own path against its plain twin and the best plain path."""
    lines = [
        "| network | path | batch | ours (samples/s) | plain PyTorch, same precision | ours / plain | best plain "
        "| ours / best plain |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in ordered(with_ratios(rows)):
        if not row.get("study"):
            continue
        lines.append(
            f"| {row['network']} ({row['unit']}) | {SUMMARY_NAMES[row['task']]} | {row['batch']} "
            f"| {_num(row['samples_per_s'], '.1f')} | {_num(row['twin_samples_per_s'], '.1f')} "
            f"| {_num(row['vs_twin'], '.3f')} | {_num(row['best_plain_samples_per_s'], '.1f')} "
            f"| {_num(row['vs_best_plain'], '.3f')} |"
        )
    return lines


def full_table(rows: Sequence[Row]) -> list[str]:
    """Every path measured, with its rate, ratios, forward FLOPs per sample and achieved TFLOP/s (or its error)."""
    lines = [
        "| network | task | path | batch | samples/s | vs plain twin | vs best plain | forward MFLOP/sample "
        "| TFLOP/s |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in ordered(with_ratios(rows)):
        rate = _num(row["samples_per_s"], ".1f") if not row.get("error") else f"failed: {row['error']}"
        lines.append(
            f"| {row['network']} | {row['task']} | {row['path']} | {row['batch']} | {rate} "
            f"| {_num(row['vs_twin'], '.3f')} | {_num(row['vs_best_plain'], '.3f')} "
            f"| {row['forward_flops'] / 1e6:.2f} | {_num(row['tflops'], '.4f')} |"
        )
    return lines


def write_json(path: Path, meta: dict[str, Any], rows: Sequence[Row]) -> None:
    """Every row with its repeats and ratios, so that numbers measured on another machine can be copied back."""
    write_text_atomic(path, json.dumps({**meta, "rows": with_ratios(rows)}, indent=1) + "\n")
