"""Markdown tables of a run's report, from evaluated numbers, and the cells of figures quoted with an interval."""

from __future__ import annotations

import math
from typing import Any

from anomaly_lab.evaluation.metrics import MIN_BACKGROUND_PASSING

INFINITE_WHEN_NULL = {"background_rejection"}  # metrics.json stores an infinite rejection as null
# figures withheld, not only marked, where fewer than MIN_BACKGROUND_PASSING background events pass their cut
WITHHELD = {"background_rejection"}
INTERVAL_NOTE = (
    "In brackets: central 68 % Clopper-Pearson intervals (on the FPR, inverted, for 1/FPR). A 1/FPR resting on "
    f"fewer than {MIN_BACKGROUND_PASSING} background events passing its cut is withheld, shown as — (n bkg); "
    "a test FPR reached on so few is marked (n bkg)."
)


def _number(value: Any, fmt: str, key: str) -> str:
    if value is None:
        return "inf" if key in INFINITE_WHEN_NULL else "—"
    if isinstance(value, float) and math.isnan(value):
        return "—"
    return fmt.format(value).replace("%", " %")


def figure_cell(m: dict[str, Any], key: str, fmt: str) -> str:
    """`m[key]` with its recorded interval, `94.3 [85.1, 105.2]` or `25.0 % [23.1, 27.0]`; a rejection resting on
    fewer than MIN_BACKGROUND_PASSING background events passing withheld as `— (6 bkg)`, another figure marked
    `(6 bkg)`; runs recorded before intervals (no `<key>_interval`): the number alone."""
    passing = m.get(f"{key}_n_background_passing")
    few = passing is not None and passing < MIN_BACKGROUND_PASSING
    if few and key in WITHHELD:
        return f"— ({passing} bkg)"
    cell, interval = _number(m.get(key), fmt, key), m.get(f"{key}_interval")
    if interval is not None and cell != "—":
        low, high = (_number(v, fmt, key).removesuffix(" %") for v in interval)
        cell += f" [{low}, {high}]"
    return cell + (f" ({passing} bkg)" if few else "")


def has_intervals(m: dict[str, Any]) -> bool:
    """Whether a metrics record carries the intervals (runs written before them do not)."""
    return any(k.endswith("_interval") for k in m)


def efficiency_table(rows: dict[str, list[dict]], variable: str, model: str) -> str:
    """Markdown: efficiency per bin for the model and each reference, and the model's fraction of the first."""
    refs = [name for name in rows if name != model]
    head = f"| {variable} bin | n | {model} |" + "".join(f" {r} |" for r in refs)
    rule = "|---|---:|---:|" + "---:|" * len(refs)
    if refs:
        head += f" {model} / {refs[0]} |"
        rule += "---:|"
    lines = [head, rule]
    for i, r in enumerate(rows[model]):
        line = f"| [{r['lo']:g}, {r['hi']:g}) | {r['n']} | {100 * r['efficiency']:.1f} % "
        line += f"[{100 * r['low']:.1f}, {100 * r['high']:.1f}] |"
        line += "".join(f" {100 * rows[ref][i]['efficiency']:.1f} % |" for ref in refs)
        if refs:
            first = rows[refs[0]][i]["efficiency"]
            line += f" {r['efficiency'] / first:.3f} |" if first > 0 else " — |"
        lines.append(line)
    return "\n".join(lines)


def threshold_label(target_fpr: float | None) -> str:
    """The column of TPR at a run's own threshold, named by the FPR it was set at on validation background."""
    return f"TPR at the threshold (FPR {target_fpr:g} on validation)" if target_fpr else "TPR at the threshold"


def signal_table(
    groups: dict[str, list[dict]], threshold_column: str = "TPR at the threshold", spread: bool = False
) -> str:
    """Markdown: per signal and scorer, AUC, TPR at the run's threshold and at each quoted FPR of the test background.
    `groups[scorer]` lists the per-signal metrics (as `evaluation.per_signal` gives them) of the scorer's runs: one
    run's values with their binomial 95 % intervals, or with `spread` the mean ± sample std over the runs (seeds)."""
    fprs = sorted({p["fpr"] for runs in groups.values() for by in runs for m in by.values()
                   for p in m["operating_points"]}, reverse=True)  # fmt: skip
    runs_column = (" runs |", "---:|") if spread else ("", "")
    head = f"| signal | scorer |{runs_column[0]} AUC | {threshold_column} |"
    lines = [head + "".join(f" TPR at test FPR {f:g} |" for f in fprs),
             f"|---|---|{runs_column[1]}---:|---:|" + "---:|" * len(fprs)]  # fmt: skip
    cells = _spread_cells if spread else _interval_cells
    for signal in dict.fromkeys(s for runs in groups.values() for by in runs for s in by):
        for scorer, runs in groups.items():
            ms = [by[signal] for by in runs if signal in by]
            if ms:
                lines.append(f"| {signal} | {scorer} | " + " | ".join(cells(ms, fprs)) + " |")
    return "\n".join(lines)


def _interval_cells(ms: list[dict], fprs: list[float]) -> list[str]:
    """One run's AUC and TPRs, each TPR with its interval."""
    (m,) = ms
    points = {p["fpr"]: p for p in m["operating_points"]}
    at_threshold = _percent(m["tpr_at_threshold"], m["tpr_at_threshold_low"], m["tpr_at_threshold_high"])
    quoted = [_percent(p["tpr"], p["tpr_low"], p["tpr_high"]) if (p := points.get(f)) else "—" for f in fprs]
    return [f"{m['auroc']:.3f}", at_threshold, *quoted]


def _spread_cells(ms: list[dict], fprs: list[float]) -> list[str]:
    """The number of runs, then mean ± std of AUC and TPRs (a dash where a run could not quote that FPR)."""
    cells = [str(len(ms)), _spread([m["auroc"] for m in ms], "{:.3f}"),
             _spread([100 * m["tpr_at_threshold"] for m in ms], "{:.2f} %")]  # fmt: skip
    for f in fprs:
        tprs = [p["tpr"] for m in ms for p in m["operating_points"] if p["fpr"] == f]
        cells.append(_spread([100 * t for t in tprs], "{:.2f} %") if len(tprs) == len(ms) else "—")
    return cells


def _percent(value: float, low: float, high: float) -> str:
    """A fraction in percent with its interval: `12.3 % [10.1, 14.8]`."""
    return f"{100 * value:.2f} % [{100 * low:.2f}, {100 * high:.2f}]"


def _spread(values: list[float], fmt: str) -> str:
    """Mean ± sample standard deviation (the value alone for one run), `fmt` applied to both."""
    mean = sum(values) / len(values)
    if len(values) == 1:
        return fmt.format(mean)
    std = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    unit = " %" if fmt.endswith(" %") else ""
    return f"{fmt.removesuffix(' %').format(mean)} ± {fmt.removesuffix(' %').format(std)}{unit}"
