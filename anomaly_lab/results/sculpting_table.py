"""The README's sculpting table from run directories: AUC, max SIC, the policy's TPR, the background passing its cut
and the JS distance of the variable's background shape (mjj) before and after it, beside the distance a random cut
of as many events gives (statistics alone); `--mean` over seeds of a task.

    python -m anomaly_lab.results.sculpting_table logs/lhco_hlf/runs/* logs/lhco_disco/runs/* --mean
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np

from anomaly_lab.results.summary import read_runs

COLUMNS = ("AUC", "max SIC", "TPR at the policy", "background passing")


def _row(m: dict[str, Any]) -> list[float]:
    s = m.get("sculpting") or {}
    values = (m.get("auroc"), m.get("max_sic"), m.get("tpr_at_fpr"), s.get("n_background_passing"),
              s.get("js_distance"), s.get("js_random_cut"))  # fmt: skip
    return [math.nan if v is None else float(v) for v in values]


def _fmt(values: list[float], decimals: int) -> str:
    """One value, or mean ± std over several (nan where a run withheld it)."""
    arr = np.asarray(values, float)
    if np.isnan(arr).all():
        return "-"
    if len(arr) == 1:
        return f"{arr[0]:.{decimals}f}"
    kept = arr[~np.isnan(arr)]
    return f"{kept.mean():.{decimals}f} ± {kept.std(ddof=1) if len(kept) > 1 else 0.0:.{decimals}f}"


def sculpting_table(paths: list[Path], mean: bool = False) -> str:
    """Markdown table, one row per run (or per task with `mean`, mean ± std over its runs)."""
    files, metrics = read_runs(paths)
    variables = {(m.get("sculpting") or {}).get("variable") for m in metrics} - {None}
    variable = variables.pop() if len(variables) == 1 else "variable"
    groups: dict[str, list[list[float]]] = {}
    for f, m in zip(files, metrics, strict=True):
        name = (m.get("task") or f.parent.name) if mean else str(f.parent)
        groups.setdefault(name, []).append(_row(m))
    header = ["run" if not mean else "task (runs)", *COLUMNS, f"JS distance of {variable}", "JS of a random cut"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, rows in groups.items():
        cols = list(zip(*rows, strict=True))
        label = f"{name} ({len(rows)})" if mean else name
        cells = [_fmt(list(c), d) for c, d in zip(cols, (3, 2, 3, 0, 3, 3), strict=True)]
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run directories (or their metrics.json)")
    parser.add_argument("--mean", action="store_true", help="one row per task: mean ± std over its runs")
    args = parser.parse_args(argv)
    print(sculpting_table(args.runs, args.mean))


if __name__ == "__main__":
    main()
