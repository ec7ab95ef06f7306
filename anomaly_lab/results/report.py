"""report.md and metrics.json, written atomically so a crash never leaves a half-written file."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


def _plain(obj: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays to Python, NaN and infinities to null."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [_plain(v) for v in (obj.tolist() if isinstance(obj, np.ndarray) else obj)]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    return obj


def _write_text_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: Path, obj: Any) -> Path:
    """JSON with indent 2; serialisation happens before the file is touched."""
    return _write_text_atomic(Path(path), json.dumps(_plain(obj), indent=2, allow_nan=False) + "\n")


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool | str):
        return str(v)
    if isinstance(v, int | np.integer):
        return str(int(v))
    return f"{float(v):.4g}"


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
        lines += [f"- {n}" for n in notes] + [""]
    lines += ["## Metrics", "", "| metric | value |", "|---|---:|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in metrics.items() if not isinstance(v, dict | list | tuple)]
    for name, ref in (metrics.get("references") or {}).items():
        lines += ["", f"Reference, {name}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in ref.items())]
    for heading, table in tables.items():
        lines += ["", f"## {heading}", "", table]
    lines += ["", "## Figures", ""]
    for name, path in figures.items():
        lines += [f"![{name}]({Path(path).resolve().relative_to(run_dir.resolve())})", ""]
    return _write_text_atomic(run_dir / "report.md", "\n".join(lines))
