"""Markdown tables of a run's report, from evaluated numbers."""

from __future__ import annotations


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
