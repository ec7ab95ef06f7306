"""Writes a finished run's artifacts from its Evaluation: scores.h5, figures, metrics.json and report.md,
then hands metrics and figures to the loggers. Nothing here computes a metric; it renders them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig

from anomaly_lab.data.base import AnomalyDataModule
from anomaly_lab.evaluation.evaluate import Binning, Evaluation
from anomaly_lab.evaluation.metrics import SIC_MIN_BACKGROUND, confusion_table_markdown
from anomaly_lab.io import save_arrays
from anomaly_lab.results import figures
from anomaly_lab.results.efficiency_figures import plot_efficiency_by_signal
from anomaly_lab.results.loggers import log_results
from anomaly_lab.results.report import write_json_atomic, write_report
from anomaly_lab.results.tables import efficiency_table, signal_table, threshold_label

LATENT_POINTS = 6000  # a readable scatter


def metrics_record(task: str | None, ev: Evaluation, checkpoint: str | None, model_name: str) -> dict[str, Any]:
    """What metrics.json holds: the model's metrics, the checkpoint, each reference's metrics, efficiencies."""
    out = {"task": task, **ev.model.metrics, "checkpoint": checkpoint}
    out["references"] = {name: ref.metrics for name, ref in ev.references.items()}
    if ev.binning is not None:
        out["efficiency"] = {name: r.efficiency for name, r in ev.scorers(model_name).items()}
        out["efficiency_by"] = {name: r.efficiency_by for name, r in ev.scorers(model_name).items()}
        out["binned_distributions"] = {b.variable: binned_distribution(b, ev.labels) for b in ev.binnings}
    if ev.processes is not None:
        out["signals"] = {name: r.per_signal for name, r in ev.scorers(model_name).items()}
    return out


def binned_distribution(binning: Binning, labels: np.ndarray) -> dict[str, float]:
    """Quantiles of a binning variable over the test signal: what the efficiencies average over (e.g. the SNRs an
    astrophysical population ends up with in a detector)."""
    values = binning.values[labels == 1]
    q10, q50, q90 = np.percentile(values, [10, 50, 90])
    return {"n": int(len(values)), "q10": float(q10), "median": float(q50), "q90": float(q90),
            "mean": float(values.mean()), "fraction_ge_8": float((values >= 8).mean())}  # fmt: skip


@torch.no_grad()
def latent_coordinates(model: Any, x: torch.Tensor, batch_size: int = 1024) -> np.ndarray | None:
    """The model's latent coordinates per sample (a VAE's z_mean), or None for a model without a latent space."""
    model.eval()
    out = []
    for start in range(0, len(x), batch_size):
        z = model.encode(x[start : start + batch_size].to(model.device))
        if z is None:
            return None
        out.append(z.float().cpu())
    return torch.cat(out).numpy()


def _latent_figure(
    run_dir: Path, ev: Evaluation, dm: AnomalyDataModule, model: Any, names: list[str]
) -> dict[str, Path]:
    """Test samples in the latent space (its two leading principal directions when it has more than two), coloured
    by class, or by process when the test mix holds several signals."""
    labels = ev.labels if ev.processes is None else ev.processes.codes
    names = names if ev.processes is None else [names[0], *ev.processes.names]
    keep = np.sort(np.random.default_rng(0).permutation(len(labels))[:LATENT_POINTS])
    latent = latent_coordinates(model, dm.inputs("test")[keep])
    if latent is None or latent.shape[1] < 2:
        return {}
    axes = "latent"
    if latent.shape[1] > 2:
        centred = latent - latent.mean(0)
        latent = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T
        axes = "latent principal direction"
    return {"latent space": figures.plot_latent(latent, labels[keep], run_dir / "latent.png", names, axes)}


def _axis_label(variable: str) -> str:
    return {"snr": "optimal SNR in the window", "snr_full": "optimal SNR of the whole waveform"}.get(variable, variable)


def _efficiency_figure(run_dir: Path, ev: Evaluation, model_name: str) -> dict[str, Path]:
    rows = ev.model.efficiency
    centres = np.array([(r["lo"] + r["hi"]) / 2 for r in rows])
    eff = np.array([r["efficiency"] for r in rows])
    low, high = eff - np.array([r["low"] for r in rows]), np.array([r["high"] for r in rows]) - eff
    refs = {n: np.array([r["efficiency"] for r in ref.efficiency]) for n, ref in ev.references.items()}
    var = ev.binning.variable
    path = figures.plot_efficiency_curve(
        centres, eff, low, high, run_dir / "efficiency.png", references=refs, xlabel=_axis_label(var), label=model_name
    )
    figs = {"efficiency": path}
    if ev.processes is not None:
        for b in ev.binnings:
            curves = {name: r.efficiency_by[b.variable] for name, r in ev.scorers(model_name).items()}
            out = run_dir / f"efficiency_by_signal_{b.variable}.png"
            figs[f"efficiency per signal against {b.variable}"] = plot_efficiency_by_signal(
                curves, [*ev.processes.names], out, _axis_label(b.variable)
            )
    return figs


def run_figures(run_dir: Path, ev: Evaluation, dm: AnomalyDataModule, model: Any, names: DictConfig) -> dict:
    """Every figure of the run, by caption: the common ones, the latent space, the dataset's own."""
    m, labels, test = ev.model, ev.labels, ev.model.scores["test"]
    figs = {
        "score histograms": figures.plot_score_histograms(
            test, labels, m.threshold, run_dir / "score_histograms.png", names.signal_name, names.background_name
        ),
        "ROC": figures.plot_roc(m.roc.fpr, m.roc.tpr, m.metrics["auroc"], run_dir / "roc.png",
                                (m.metrics["fpr_at_threshold"], m.metrics["tpr_at_fpr"])),
        "training curves": figures.plot_training_curves(run_dir / "csv" / "metrics.csv", run_dir / "training.png"),
        "precision-recall": figures.plot_precision_recall(
            *m.precision_recall, m.metrics["average_precision"], run_dir / "precision_recall.png", float(labels.mean())
        ),
        "significance improvement": figures.plot_sic(*m.roc.sic(), run_dir / "sic.png", SIC_MIN_BACKGROUND),
    }  # fmt: skip
    figs |= _latent_figure(run_dir, ev, dm, model, [names.background_name, names.signal_name])
    figs |= dm.example_figures(run_dir, model, test, m.threshold)
    if ev.binning is not None:
        figs |= _efficiency_figure(run_dir, ev, names.model_name or "autoencoder")
    if ev.processes is not None:
        figs |= _signal_figures(run_dir, ev, names)
    return figs


def _signal_figures(run_dir: Path, ev: Evaluation, names: DictConfig) -> dict[str, Path]:
    """Score histograms per process and ROC per signal on log-FPR axes (the model, then each other scorer)."""
    m = ev.model
    processes = [names.background_name, *ev.processes.names]
    curves = {
        scorer: {s: (roc.fpr, roc.tpr, r.per_signal[s]["auroc"]) for s, roc in r.signal_rocs.items()}
        for scorer, r in ev.scorers(names.model_name or "autoencoder").items()
    }
    return {
        "score histograms per process": figures.plot_score_histograms_by_process(
            m.scores["test"], ev.processes.codes, processes, m.threshold, run_dir / "score_histograms_by_process.png"
        ),
        "ROC per signal": figures.plot_roc_by_signal(curves, run_dir / "roc_by_signal.png"),
    }


def write_run_outputs(
    run_dir: Path,
    cfg: DictConfig,
    ev: Evaluation,
    dm: AnomalyDataModule,
    model: Any,
    checkpoint: str | None,
    loggers: list,
) -> dict[str, Any]:
    """Every artifact of a finished run in `run_dir`; returns the metrics written to metrics.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    names, model_name = cfg.evaluation, cfg.evaluation.model_name or "autoencoder"
    extras = {k: v for k, v in dm.test_extras.items() if v.ndim == 1 and v.dtype.names is None}
    arrays = {"score": ev.model.scores["test"], "label": ev.labels, **extras}
    arrays |= {f"reference/{name}": ref.scores["test"] for name, ref in ev.references.items()}
    save_arrays(run_dir / "scores.h5", arrays, {"threshold": ev.model.threshold, "policy": ev.model.metrics["policy"]})

    figs = run_figures(run_dir, ev, dm, model, names)
    tables = {
        "Test samples flagged at the threshold (percent of each column)": confusion_table_markdown(
            ev.model.flagged, ev.labels, names.signal_name, names.background_name
        )
    }
    for b in ev.binnings:
        groups = ev.model.efficiency_by[b.variable]
        for group in groups:
            rows = {name: r.efficiency_by[b.variable][group] for name, r in ev.scorers(model_name).items()}
            which = "" if group == "all" else f", {group} only"
            tables[f"Detection efficiency against {b.variable}{which}"] = efficiency_table(rows, b.variable, model_name)
    out = metrics_record(cfg.get("task_name"), ev, checkpoint, model_name)
    if ev.processes is not None:
        n_bg = int((ev.labels == 0).sum())
        heading = f"Per signal, against {n_bg} test background events (TPR with binomial 95 % intervals)"
        groups = {name: [by_signal] for name, by_signal in out["signals"].items()}
        tables[heading] = signal_table(groups, threshold_label(ev.model.metrics["target_fpr"]))
    write_json_atomic(run_dir / "metrics.json", out)
    write_report(run_dir, names.title, out, tables, figs, dm.describe())
    log_results(loggers, ev, figs)
    return out
