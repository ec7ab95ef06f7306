"""report.md and metrics.json, written atomically so a crash never leaves a half-written file."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from anomaly_lab.atomic import write_text_atomic
from anomaly_lab.results.tables import INTERVAL_NOTE, figure_cell, has_intervals


def _plain(obj: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays to Python, NaN and infinities to null."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())  # a 0-d array becomes a scalar here, not a list
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    return obj


def write_json_atomic(path: Path, obj: Any) -> Path:
    """JSON with indent 2; serialisation happens before the file is touched, so a bad object leaves nothing."""
    return write_text_atomic(Path(path), json.dumps(_plain(obj), indent=2, allow_nan=False) + "\n")


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, bool | str | int | float | np.generic)


def _fmt(v: Any) -> str:
    """A metric cell: None as a dash, integers as they are, floats to 4 significant digits."""
    if v is None:
        return "—"
    if isinstance(v, bool | np.bool_ | str):
        return str(v)
    if isinstance(v, int | np.integer):
        return str(int(v))
    return f"{float(v):.4g}"


def _cell(metrics: dict[str, Any], key: str) -> str:
    """A metric cell; a figure recorded with an interval shows it, and is withheld as the tables withhold it."""
    return figure_cell(metrics, key, "{:.4g}") if f"{key}_interval" in metrics else _fmt(metrics[key])


def _link(path: Path, run_dir: Path) -> str:
    rel = Path(os.path.relpath(Path(path).resolve(), run_dir.resolve())).as_posix()
    return f"<{rel}>" if " " in rel else rel  # markdown links break on bare spaces


def write_report(
    run_dir: Path,
    title: str,
    metrics: dict[str, Any],
    tables: dict[str, str],
    figures: dict[str, Path],
    notes: list[str] | None = None,
) -> Path:
    """run_dir/report.md: scalar metrics, the given markdown tables, the figures, and notes on the data."""
    run_dir = Path(run_dir)
    lines = [f"# {title}", ""]
    if notes:
        lines += ["## Data", "", *[f"- {n}" for n in notes], ""]
    lines += ["## Metrics", "", "| metric | value |", "|---|---:|"]
    lines += [f"| {k} | {_cell(metrics, k)} |" for k, v in metrics.items() if _is_scalar(v)]
    if has_intervals(metrics):
        lines += ["", INTERVAL_NOTE]
    references = metrics.get("references")
    if isinstance(references, dict):
        for name, ref in references.items():
            if not isinstance(ref, dict):
                continue
            shown = ", ".join(f"{k} {_cell(ref, k)}" for k, v in ref.items() if _is_scalar(v))
            lines += ["", f"Reference, {name}: {shown}"]
    for heading, table in tables.items():
        lines += ["", f"## {heading}", "", table.rstrip("\n")]
    if figures:
        lines += ["", "## Figures", ""]
        for name, path in figures.items():
            lines += [f"![{name}]({_link(path, run_dir)})", ""]
    return write_text_atomic(run_dir / "report.md", "\n".join(lines).rstrip("\n") + "\n")
