"""Strain files through the scanner: per-window GPS times and scores streamed into `scores.h5`, clustered triggers
into `triggers.csv` (and `scores.h5`), a progress bar, and the rate in seconds of strain per second per detector."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from anomaly_lab.scan.strain import StrainScanner
from anomaly_lab.scan.triggers import TRIGGER_COLUMNS, cluster_triggers
from anomaly_lab.scan.writers import ScoresWriter, write_csv

WINDOW_COLUMNS = {"gps_start": np.float64, "score": np.float64, "file_index": np.int32}


@dataclass
class Tally:
    """Seconds of strain (whole files, gaps included) and of wall time per detector."""

    strain_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    wall_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def rate_lines(self) -> list[str]:
        """`scanned <S> s of strain in <T> s: <S/T>x real time (<detector>)`, one per detector."""
        return [
            f"scanned {self.strain_s[d]:.0f} s of strain in {self.wall_s[d]:.2f} s: "
            f"{self.strain_s[d] / max(self.wall_s[d], 1e-9):.0f}x real time ({d})"
            for d in self.strain_s
        ]

    def rates(self) -> dict[str, float]:
        """x real time per detector, as scores.h5 records it (attr `rate`, JSON)."""
        return {d: self.strain_s[d] / max(self.wall_s[d], 1e-9) for d in self.strain_s}


def _progress() -> Progress:
    """One bar per file, counting its windows (removed when the file is done)."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
    )


def _scan_file(
    path: Path, index: int, scanner: StrainScanner, writer: ScoresWriter, progress: Progress, threshold: float
) -> tuple[str, dict[str, np.ndarray], float]:
    """Scan one file into the writer; (detector, its triggers, wall seconds). Only windows above the threshold
    stay in memory until the file's end, to be clustered."""
    start = time.perf_counter()
    strain = scanner.read(path)
    task = progress.add_task(f"{strain.detector} {path.name}", total=scanner.n_windows(strain))
    above_t, above_s = [], []
    for gps, scores in scanner.scores(strain):
        writer.append({"gps_start": gps, "score": scores, "file_index": np.full(len(gps), index, np.int32)})
        keep = scores > threshold
        above_t.append(gps[keep])
        above_s.append(scores[keep])
        progress.advance(task, len(gps))
    wall = time.perf_counter() - start
    progress.remove_task(task)
    t, s = (np.concatenate(a) if a else np.zeros(0) for a in (above_t, above_s))
    lay = scanner.dm.layout
    triggers = cluster_triggers(t, s, threshold, lay.window_s, scanner.grid.stride / lay.fs)
    return strain.detector, triggers | {"duration_s": strain.duration_s}, wall


def scan_strain(
    files: list[Path], scanner: StrainScanner, output: Path, threshold: float, attrs: dict[str, object]
) -> list[str]:
    """Scan every file; write `<output>/triggers.csv`, then `<output>/scores.h5` (each complete or not at all: an
    error on the way leaves neither new) and return the summary lines."""
    tally, detectors, per_file = Tally(), [], []
    with ScoresWriter(output / "scores.h5", WINDOW_COLUMNS) as writer, _progress() as progress:
        for i, path in enumerate(files):
            detector, triggers, wall = _scan_file(path, i, scanner, writer, progress, threshold)
            tally.strain_s[detector] += triggers.pop("duration_s")
            tally.wall_s[detector] += wall
            detectors.append(detector)
            per_file.append(triggers | {"file_index": np.full(len(triggers["score"]), i, np.int32)})
        table = {k: np.concatenate([t[k] for t in per_file]) for k in (*TRIGGER_COLUMNS, "file_index")}
        for name, values in table.items():
            writer.add(f"triggers/{name}", values)
        lay, stride_s = scanner.dm.layout, scanner.grid.stride / scanner.dm.layout.fs
        writer.attrs = attrs | {
            "threshold": threshold, "stride": stride_s, "window": lay.window_s, "sample_rate": lay.fs,
            "detector": ",".join(dict.fromkeys(detectors)), "detectors": json.dumps(detectors),
            "files": json.dumps([str(f) for f in files]), "rate": json.dumps(tally.rates()),
        }  # fmt: skip
        by_file = table["file_index"]
        extra = {"detector": [detectors[i] for i in by_file], "file": [str(files[i]) for i in by_file]}
        write_csv(output / "triggers.csv", {k: table[k] for k in TRIGGER_COLUMNS} | extra)
    summary = (
        f"{writer.rows} windows of {lay.window_s:g} s every {stride_s:g} s in {len(files)} file(s); "
        f"{len(table['score'])} triggers above threshold {threshold:.6g} -> {output / 'triggers.csv'}"
    )
    return [*tally.rate_lines(), summary]
