"""experiments/benchmarks.md is shared by several benchmarks: each rewrites only its own section."""

from __future__ import annotations

from pathlib import Path

from anomaly_lab.atomic import write_text_atomic


def write_section(path: Path, heading: str, text: str) -> None:
    """Replace the section starting with `heading` in `path` (other studies keep their sections)."""
    old = path.read_text() if path.is_file() else "# Benchmarks\n\n"
    parts = old.split("\n## ")
    kept = [parts[0].rstrip() + "\n"] + ["## " + p for p in parts[1:] if not ("## " + p).startswith(heading)]
    write_text_atomic(path, "\n".join(s.rstrip() + "\n" for s in [*kept, text]))

