"""Results table from finished runs: `python -m anomaly_lab.summary <run dir or metrics.json> ...`.

One row per run and per reference scorer in it (e.g. the PCA reference), in the order given; the tables in
experiments/ are made this way, so that they can be regenerated from the run directories.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

COLUMNS = {
    "AUC": ("auroc", "{:.4f}"),
    "1/FPR at 30 % TPR": ("background_rejection", "{:.1f}"),
    "TPR at 5 % FPR (val. threshold)": ("tpr_at_fpr", "{:.1%}"),
    "test FPR reached": ("fpr_at_threshold", "{:.1%}"),
    "max SIC": ("max_sic", "{:.2f}"),
}


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "inf" if fmt.startswith("{:.1f") else "—"  # JSON null stands for an infinite rejection
    if isinstance(value, float) and math.isnan(value):
        return "—"
    return fmt.format(value).replace("%", " %")


def rows(metrics_file: Path) -> list[list[str]]:
    """Table rows of one run: the model, then each reference scored on the same test set."""
    m = json.loads(metrics_file.read_text())
    size = f"{m['n_test_background']} + {m['n_test_signal']}"
    task = m.get("task") or metrics_file.parent.name
    scorers = {"model": m, **(m.get("references") or {})}
    return [[task, name, size, *(_cell(s.get(k), f) for k, f in COLUMNS.values())] for name, s in scorers.items()]


def table(paths: list[Path]) -> str:
    """Markdown table over runs (directories holding metrics.json, or the files themselves); a reference
    already listed with the same numbers (the same data, another model) is listed once."""
    files = [p / "metrics.json" if p.is_dir() else p for p in paths]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise SystemExit(f"no metrics.json at {', '.join(missing)}")
    head = ["run", "scorer", "test bkg + sig", *COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|---|---|---:|" + "---:|" * len(COLUMNS)]
    seen: set[tuple[str, ...]] = set()
    for f in files:
        for i, r in enumerate(rows(f)):
            if i and tuple(r[1:]) in seen:
                continue
            seen.add(tuple(r[1:]))
            lines.append("| " + " | ".join(r) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run directories or their metrics.json files")
    print(table(parser.parse_args().runs))


if __name__ == "__main__":
    main()
