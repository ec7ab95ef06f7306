"""Results table from finished runs: `python -m anomaly_lab.results.summary [--signals] <run dir or metrics.json> ...`.

One row per run and per reference scorer in it (e.g. the PCA reference), in the order given; the tables in
experiments/ are made this way, so that they can be regenerated from the run directories. Column names come
from what the runs recorded (the threshold policy's target FPR, the signal efficiency of the rejection). Rejection,
TPR and test FPR come with their 68 % Clopper-Pearson intervals, and a rejection resting on fewer than 10 background
events passing its cut is withheld as `— (n bkg)`; a note under the table says so (runs recorded before the intervals
show the numbers alone).
With `--signals`, runs on a test mix of several signals (ADC2021) give one row per signal and scorer instead, and
`--signals --mean` the mean ± std over the runs of each scorer (other seeds).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from anomaly_lab.results.tables import INTERVAL_NOTE, figure_cell, has_intervals, signal_table, threshold_label


def _percent(x: float) -> str:
    return f"{100 * x:.4g} %"


def _shared(metrics: list[dict[str, Any]], key: str) -> Any:
    """The value every run recorded for `key`, or None when they differ or did not record one."""
    values = {m.get(key) for m in metrics}
    return values.pop() if len(values) == 1 else None


def columns(metrics: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Header -> (metrics.json key, format), labelled by the runs' own operating points."""
    target_fpr, efficiency = _shared(metrics, "target_fpr"), _shared(metrics, "rejection_signal_efficiency")
    tpr = f"TPR at {_percent(target_fpr)} FPR (val. threshold)" if target_fpr else "TPR at the val. threshold"
    rejection = f"1/FPR at {_percent(efficiency)} TPR" if efficiency else "1/FPR at the run's TPR"
    out = {"AUC": ("auroc", "{:.4f}"), rejection: ("background_rejection", "{:.1f}"), tpr: ("tpr_at_fpr", "{:.1%}")}
    if not target_fpr:  # runs aimed at different FPRs, or at none: say which each aimed at
        out["target FPR"] = ("target_fpr", "{:.1%}")
    return out | {"test FPR reached": ("fpr_at_threshold", "{:.1%}"), "max SIC": ("max_sic", "{:.2f}")}


def rows(m: dict[str, Any], name: str, cols: dict[str, tuple[str, str]]) -> list[list[str]]:
    """Table rows of one run: the model, then each reference scored on the same test set."""
    size = f"{m['n_test_background']} + {m['n_test_signal']}"
    scorers = {"model": m, **(m.get("references") or {})}
    return [[m.get("task") or name, s_name, size, *(figure_cell(s, k, f) for k, f in cols.values())]
            for s_name, s in scorers.items()]  # fmt: skip


def read_runs(paths: list[Path]) -> tuple[list[Path], list[dict[str, Any]]]:
    files = [p / "metrics.json" if p.is_dir() else p for p in paths]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise SystemExit(f"no metrics.json at {', '.join(missing)}")
    return files, [json.loads(f.read_text()) for f in files]


def _signal_scorers(paths: list[Path]) -> tuple[dict[str, list[dict]], float | None]:
    """Per scorer label, the per-signal metrics of each run that has it, in order (a reference that several runs
    share with the same numbers, PCA on the same data, once); and the threshold's target FPR the runs share."""
    files, metrics = read_runs(paths)
    groups: dict[str, list[dict]] = {}
    for f, m in zip(files, metrics, strict=True):
        if "signals" not in m:
            raise SystemExit(f"{f}: no per-signal metrics (a run on a test mix of one signal?)")
        for name, by_signal in m["signals"].items():
            runs = groups.setdefault(name.replace("same model", m.get("task") or f.parent.name), [])
            if by_signal not in runs:
                runs.append(by_signal)
    targets = {m.get("target_fpr") for m in metrics}
    return groups, targets.pop() if len(targets) == 1 else None


def signal_summary(paths: list[Path], mean: bool = False) -> str:
    """Markdown table per signal and scorer over runs whose test mix held several signals, with the test sizes
    behind it. Runs of one scorer (other seeds) are listed one by one, or with `mean` as mean ± std."""
    groups, target = _signal_scorers(paths)
    sizes = {(s["n_background"], s["n_signal"]) for runs in groups.values() for by in runs for s in by.values()}
    sized = ", ".join(f"{b} background and {n} per signal" for b, n in sorted(sizes))
    if not mean:  # each run of a scorer on rows of its own
        groups = {(label if i == 0 else f"{label} (run {i + 1})"): [by] for label, runs in groups.items()
                  for i, by in enumerate(runs)}  # fmt: skip
    return f"Test events: {sized}.\n\n{signal_table(groups, threshold_label(target), spread=mean)}"


def table(paths: list[Path]) -> str:
    """Markdown table over runs (directories holding metrics.json, or the files themselves); a reference
    already listed with the same numbers (the same data, another model) is listed once. Under it, when the runs
    recorded intervals, the note saying what they are and which figures are withheld."""
    files, metrics = read_runs(paths)
    cols = columns(metrics)
    lines = ["| " + " | ".join(["run", "scorer", "test bkg + sig", *cols]) + " |"]
    lines.append("|---|---|---:|" + "---:|" * len(cols))
    seen: set[tuple[str, ...]] = set()
    for f, m in zip(files, metrics, strict=True):
        for i, r in enumerate(rows(m, f.parent.name, cols)):
            if i and tuple(r[1:]) in seen:
                continue
            seen.add(tuple(r[1:]))
            lines.append("| " + " | ".join(r) + " |")
    if any(has_intervals(m) for m in metrics):
        lines += ["", INTERVAL_NOTE]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run directories or their metrics.json files")
    parser.add_argument("--signals", action="store_true", help="one row per signal and scorer (ADC2021 runs)")
    parser.add_argument("--mean", action="store_true", help="with --signals: mean ± std over runs of one scorer")
    args = parser.parse_args()
    print(signal_summary(args.runs, args.mean) if args.signals else table(args.runs))


if __name__ == "__main__":
    main()
