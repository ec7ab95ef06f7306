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


def signal_table(per_signal: dict[str, dict[str, dict]], threshold_column: str = "TPR at the threshold") -> str:
    """Markdown: per signal and scorer, AUC, TPR at the run's threshold and at each quoted FPR of the test
    background with its binomial 95 % interval; `per_signal[scorer][signal]` as `evaluation.per_signal` gives it."""
    fprs = sorted({p["fpr"] for by in per_signal.values() for m in by.values() for p in m["operating_points"]},
                  reverse=True)  # fmt: skip
    head = f"| signal | scorer | AUC | {threshold_column} |" + "".join(f" TPR at test FPR {f:g} |" for f in fprs)
    lines = [head, "|---|---|---:|---:|" + "---:|" * len(fprs)]
    signals = list(dict.fromkeys(s for by in per_signal.values() for s in by))
    for signal in signals:
        for scorer, by in per_signal.items():
            m = by.get(signal)
            if m is None:
                continue
            cells = [f"{m['auroc']:.3f}", _percent(m["tpr_at_threshold"], m["tpr_at_threshold_low"],
                                                   m["tpr_at_threshold_high"])]  # fmt: skip
            points = {p["fpr"]: p for p in m["operating_points"]}
            cells += [_percent(p["tpr"], p["tpr_low"], p["tpr_high"]) if (p := points.get(f)) else "—" for f in fprs]
            lines.append(f"| {signal} | {scorer} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _percent(value: float, low: float, high: float) -> str:
    """A fraction in percent with its interval: `12.3 % [10.1, 14.8]`."""
    return f"{100 * value:.2f} % [{100 * low:.2f}, {100 * high:.2f}]"


def signal_mean_table(groups: dict[str, list[dict]], threshold_column: str = "TPR at the threshold") -> str:
    """Markdown: per signal and scorer, mean ± sample std over runs (seeds) of AUC, TPR at the run's threshold and
    at each quoted test FPR; `groups[scorer]` lists each run's `per_signal` metrics."""
    points = [p["fpr"] for runs in groups.values() for by in runs for m in by.values() for p in m["operating_points"]]
    fprs = sorted(set(points), reverse=True)
    head = f"| signal | scorer | runs | AUC | {threshold_column} |" + "".join(f" TPR at test FPR {f:g} |" for f in fprs)
    lines = [head, "|---|---|---:|---:|---:|" + "---:|" * len(fprs)]
    signals = list(dict.fromkeys(s for runs in groups.values() for by in runs for s in by))
    for signal in signals:
        for scorer, runs in groups.items():
            ms = [by[signal] for by in runs if signal in by]
            if not ms:
                continue
            cells = [str(len(ms)), _spread([m["auroc"] for m in ms], "{:.3f}"),
                     _spread([100 * m["tpr_at_threshold"] for m in ms], "{:.2f} %")]  # fmt: skip
            for f in fprs:
                tprs = [p["tpr"] for m in ms for p in m["operating_points"] if p["fpr"] == f]
                cells.append(_spread([100 * t for t in tprs], "{:.2f} %") if len(tprs) == len(ms) else "—")
            lines.append(f"| {signal} | {scorer} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _spread(values: list[float], fmt: str) -> str:
    """Mean ± sample standard deviation (the value alone for one run), `fmt` applied to both."""
    mean = sum(values) / len(values)
    if len(values) == 1:
        return fmt.format(mean)
    std = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    unit = " %" if fmt.endswith(" %") else ""
    return f"{fmt.removesuffix(' %').format(mean)} ± {fmt.removesuffix(' %').format(std)}{unit}"
