"""Compare the jobs of one multirun or sweep: `python -m anomaly_lab.results.compare <logs/<task>/multiruns/<time>>`.

One row per job with the overrides that vary between jobs and its test metrics; mean ± std over seeds where the
grid repeats seeds; the best job by the sweep's `optimized_metric`. Writes compare.md, compare.csv and
compare.png into the directory, and for an Optuna sweep optuna_history.png and optuna_importances.png.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
from pathlib import Path

import numpy as np

from anomaly_lab.atomic import write_text_atomic
from anomaly_lab.results import summary
from anomaly_lab.results.compare_figures import plot_compare
from anomaly_lab.results.compare_optuna import is_optuna_sweep, optuna_section
from anomaly_lab.results.sweep import Job, Sweep, load_sweep

SEED_KEY = "seed"
UNFINISHED = "failed/unfinished"
# metrics.json keys in table order; target_fpr only when the jobs aimed at different FPRs (summary.columns decides)
METRIC_KEYS = ("auroc", "val_auroc", "tpr_at_fpr", "target_fpr", "background_rejection", "max_sic")
OWN_COLUMNS = {"val_auroc": ("val. AUC", "{:.4f}"), "val_loss": ("val. loss", "{:.4g}")}

Columns = dict[str, tuple[str, str]]  # metrics.json key -> (header, format)


def metric_columns(sweep: Sweep) -> Columns:
    """The table's metrics, headed like the summary table (by the recorded operating points), and the optimised
    metric wherever it is not one of them; a metric no job recorded beyond the summary's own is left out."""
    finished = [job.metrics for job in sweep.jobs if job.metrics is not None]
    summary_columns = {key: (header, fmt) for header, (key, fmt) in summary.columns(finished).items()}
    out: Columns = {}
    for key in (*METRIC_KEYS, sweep.optimized_metric):
        if key in summary_columns:
            out.setdefault(key, summary_columns[key])
        elif key != "target_fpr" and any(key in m for m in finished):
            out.setdefault(key, OWN_COLUMNS.get(key, (key, "{:.4g}")))
    return out


def cell(value: float | None, fmt: str) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return fmt.format(value).replace("%", " %")


def mean_std(values: list[float], fmt: str) -> str:
    """`mean ± std` (ddof=1) of the seeds' values; the value alone for one seed."""
    if len(values) < 2:
        return cell(values[0] if values else None, fmt)
    mean = float(np.mean(values))
    if not math.isfinite(mean):  # an infinite rejection among the seeds: no spread to give
        return cell(mean, fmt)
    return f"{cell(mean, fmt)} ± {cell(float(np.std(values, ddof=1)), fmt)}"


def _markdown_table(header: list[str], rows: list[list[str]], n_text: int) -> list[str]:
    """Rows under a header; the first `n_text` columns left-aligned, the numbers right-aligned."""
    rule = "|" + "---|" * n_text + "---:|" * (len(header) - n_text)
    return ["| " + " | ".join(header) + " |", rule, *("| " + " | ".join(r) + " |" for r in rows)]


def job_table(sweep: Sweep, swept: list[str], cols: Columns, best: Job | None) -> list[str]:
    """One row per job: name (★ for the best), swept overrides, metrics; a status column if any job did not finish."""
    status = any(not job.finished for job in sweep.jobs)
    header = ["job", *swept, *(h for h, _ in cols.values()), *(["status"] if status else [])]
    rows = []
    for job in sweep.jobs:
        row = [job.name + (" ★" if job is best else ""), *(job.overrides.get(k, "—") for k in swept)]
        row += [cell(job.number(key), fmt) for key, (_, fmt) in cols.items()]
        rows.append(row + ([("finished" if job.finished else UNFINISHED)] if status else []))
    return _markdown_table(header, rows, 1 + len(swept))


def seed_groups(sweep: Sweep, swept: list[str]) -> dict[tuple[str, ...], list[Job]]:
    """Finished jobs grouped by the values of every swept key but the seed, in the order the grid ran them."""
    others = [k for k in swept if k != SEED_KEY]
    groups: dict[tuple[str, ...], list[Job]] = {}
    for job in sweep.jobs:
        if job.finished:
            groups.setdefault(tuple(job.overrides.get(k, "—") for k in others), []).append(job)
    return groups


def seed_table(sweep: Sweep, swept: list[str], cols: Columns) -> list[str]:
    """Mean ± std over seeds (ddof=1) for each combination of the other swept keys, with the number of seeds."""
    others = [k for k in swept if k != SEED_KEY]
    rows = []
    for combination, jobs in seed_groups(sweep, swept).items():
        stats = []
        for key, (_, fmt) in cols.items():
            stats.append(mean_std([v for job in jobs if (v := job.number(key)) is not None], fmt))
        rows.append([*combination, str(len(jobs)), *stats])
    return _markdown_table([*others, "n", *(h for h, _ in cols.values())], rows, len(others))


def csv_text(sweep: Sweep, swept: list[str], cols: Columns, best: Job | None) -> str:
    """compare.csv: job, swept overrides, status, each metric by its metrics.json key (full precision, `inf` for an
    infinite rejection, empty when not recorded), and whether it is the best job."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["job", *swept, "status", *cols, "best"])
    for job in sweep.jobs:
        values = ["" if (v := job.number(key)) is None else repr(v) for key in cols]
        status = "finished" if job.finished else UNFINISHED
        overrides = [job.overrides.get(k, "") for k in swept]
        writer.writerow([job.name, *overrides, status, *values, str(job is best).lower()])
    return out.getvalue()


def _best_line(sweep: Sweep, swept: list[str], cols: Columns, best: Job | None) -> str:
    metric, direction = sweep.optimized_metric, sweep.direction
    if best is None:
        return f"No finished job recorded `{metric}`, the sweep's optimised metric: no best job."
    value = cell(best.number(metric), cols.get(metric, ("", "{:.4g}"))[1])
    where = f" ({best.label(swept)})" if swept else ""
    return f"★ Best job by `{metric}` ({direction}): **{best.name}**{where}, {metric} = {value}."


def _figure_lines(sweep: Sweep, swept: list[str], cols: Columns) -> list[str]:
    metric = sweep.optimized_metric if sweep.optimized_metric in cols else "auroc"
    points = [(job.overrides, v) for job in sweep.jobs if (v := job.number(metric)) is not None]
    if not swept or not points:
        return [f"No compare.png: {'no swept parameter' if not swept else f'no finished job recorded {metric}'}."]
    seed_key = SEED_KEY if SEED_KEY in swept else None
    plot_compare(points, swept, cols.get(metric, (metric,))[0], sweep.path / "compare.png", seed_key, sweep.path.name)
    return ["![metric against each swept parameter](compare.png)"]


def compare(path: Path) -> str:
    """Read the sweep at `path`, write compare.md, compare.csv and the figures there; returns the markdown."""
    sweep = load_sweep(path)
    swept, constant = sweep.swept()
    cols, best = metric_columns(sweep), sweep.best()
    n_done = sum(job.finished for job in sweep.jobs)
    jobs = f"{len(sweep.jobs)} job{'s' if len(sweep.jobs) != 1 else ''}"
    lines = [f"# Sweep {sweep.path.name}", "", f"{jobs}, {n_done} finished; optimised metric "
             f"`{sweep.optimized_metric}` ({sweep.direction}).", ""]  # fmt: skip
    if constant:
        lines += ["Overrides shared by every job: " + ", ".join(f"`{k}={v}`" for k, v in constant.items()), ""]
    lines += [*job_table(sweep, swept, cols, best), "", _best_line(sweep, swept, cols, best)]
    unfinished = [job for job in sweep.jobs if not job.finished]
    if unfinished:
        lines.append(f"{UNFINISHED.capitalize()} (no metrics.json): " + "; ".join(
            f"{job.name} ({job.label(swept)})" if swept else job.name for job in unfinished))  # fmt: skip
    if SEED_KEY in swept:
        lines += ["", "## Mean ± std over seeds (ddof=1)", "", *seed_table(sweep, swept, cols)]
    lines += ["", *_figure_lines(sweep, swept, cols)]
    if is_optuna_sweep(sweep.path, sweep.sweeper):
        lines += ["", *optuna_section(sweep.path, sweep.sweeper)]
    markdown = "\n".join(lines) + "\n"
    write_text_atomic(sweep.path / "compare.csv", csv_text(sweep, swept, cols, best))
    write_text_atomic(sweep.path / "compare.md", markdown)
    return markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="a multirun or sweep directory (holding multirun.yaml)")
    print(compare(parser.parse_args().sweep_dir), end="")


if __name__ == "__main__":
    main()
