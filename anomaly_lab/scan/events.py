"""Event files (jets, LHC Olympics, ADC2021) through the scanner: streamed in chunks through the data module's
`file_samples`, transformed and scored, with the training threshold applied, into `scores.h5`, and each file's
score distribution against the threshold into `score_histograms.png` (what a black box without labels gives)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from rich.progress import Progress, SpinnerColumn, TextColumn

from anomaly_lab.evaluation.metrics import auroc
from anomaly_lab.results.figures import plot_score_histograms_by_process
from anomaly_lab.scan.scorer import Scorer
from anomaly_lab.scan.writers import ScoresWriter


def _summary(name: str, scores: np.ndarray, labels: np.ndarray | None, threshold: float, wall: float) -> str:
    """One line: events, the fraction above the threshold, AUROC when both classes are labelled, the rate."""
    line = f"{name}: {len(scores)} events, {np.mean(scores > threshold):.2%} above threshold {threshold:.6g}"
    if labels is not None and len(np.unique(labels)) == 2:
        line += f", AUROC {auroc(scores, labels):.4f} ({int(labels.sum())} labelled anomalies)"
    return line + f" ({len(scores) / max(wall, 1e-9):.0f} events/s)"


def _scan_file(
    path: Path, index: int, scorer: Scorer, writer: ScoresWriter, threshold: float, chunk: int, progress: Progress
) -> tuple[str, np.ndarray]:
    """Stream one file into the writer; its summary line and its scores. Scores and labels stay in memory
    (16 bytes an event) for the file's AUROC and histogram."""
    start, task = time.perf_counter(), progress.add_task(f"{path.name}: 0 events", total=None)
    scores, labels = [], []
    for raw, extras in scorer.trained.datamodule.file_samples(path, chunk):
        s = scorer.scores(scorer.trained.inputs(raw))
        rows = {"score": s, "above_threshold": s > threshold, "file_index": np.full(len(s), index, np.int32)}
        rows |= extras
        if writer.columns and set(rows) != set(writer.columns):
            raise ValueError(
                f"{path}: gives {sorted(extras)} per event, the first file gave "
                f"{sorted(set(writer.columns) - {'score', 'above_threshold', 'file_index'})}; scan them separately"
            )
        writer.append(rows)
        scores.append(s)
        if "labels" in extras:
            labels.append(extras["labels"])
        progress.update(task, description=f"{path.name}: {sum(map(len, scores))} events")
    progress.remove_task(task)
    all_scores = np.concatenate(scores) if scores else np.zeros(0)
    all_labels = np.concatenate(labels) if labels else None
    return _summary(str(path), all_scores, all_labels, threshold, time.perf_counter() - start), all_scores


def scan_events(
    files: list[Path], scorer: Scorer, output: Path, threshold: float, chunk: int, attrs: dict[str, object]
) -> list[str]:
    """Score every event of every file into `<output>/scores.h5` (complete or not at all) and draw each file's
    score distribution; the summary lines."""
    lines: list[str] = []
    scores: list[np.ndarray] = []
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True)
    with ScoresWriter(output / "scores.h5") as writer, bar as progress:
        for i, path in enumerate(files):
            line, file_scores = _scan_file(path, i, scorer, writer, threshold, chunk, progress)
            lines.append(line)
            scores.append(file_scores)
        writer.attrs = attrs | {"threshold": threshold, "files": json.dumps([str(f) for f in files])}
    codes = np.repeat(np.arange(len(files)), [len(s) for s in scores])
    plot_score_histograms_by_process(
        np.concatenate(scores), codes, [f.name for f in files], threshold, output / "score_histograms.png"
    )
    return lines
