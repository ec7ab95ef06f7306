"""Writes a run's artifacts: metrics.json, scores.h5, figures and report.md, and hands them to the loggers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig

from anomaly_lab import metrics
from anomaly_lab.data.cache import save_arrays
from anomaly_lab.results import figures
from anomaly_lab.results.report import write_json_atomic, write_report
from anomaly_lab.thresholds import flag


def efficiency_rows(
    variable: np.ndarray, labels: np.ndarray, scores: dict[str, tuple[np.ndarray, float]], edges: list[float]
) -> dict[str, list[dict]]:
    """Per scorer, the fraction of signal flagged at its threshold in the non-empty bins of `variable`."""
    sig = labels == 1
    rows = {
        name: metrics.efficiency_by_bin(variable[sig], flag(s[sig], thr), np.asarray(edges, float))
        for name, (s, thr) in scores.items()
    }
    return {name: [r for r in bin_rows if r["n"] > 0] for name, bin_rows in rows.items()}


def efficiency_table(rows: dict[str, list[dict]], variable: str, model: str) -> str:
    """Markdown: efficiency per bin for the model and each reference, and the model's fraction of the first."""
    refs = [name for name in rows if name != model]
    head = f"| {variable} bin | n | {model} |" + "".join(f" {r} |" for r in refs)
    rule = "|---|---:|---:|" + "---:|" * len(refs)
    if refs:
        head += f" {model} / {refs[0]} |"
        rule += "---:|"
    lines = [head, rule]
    for i, r in enumerate(rows[model]):
        line = f"| [{r['lo']:g}, {r['hi']:g}) | {r['n']} | {100 * r['efficiency']:.1f} % "
        line += f"[{100 * r['low']:.1f}, {100 * r['high']:.1f}] |"
        line += "".join(f" {100 * rows[ref][i]['efficiency']:.1f} % |" for ref in refs)
        if refs:
            first = rows[refs[0]][i]["efficiency"]
            line += f" {r['efficiency'] / first:.3f} |" if first > 0 else " — |"
        lines.append(line)
    return "\n".join(lines)


def _example_figure(run_dir: Path, dm: Any, model: torch.nn.Module, scores: np.ndarray) -> Path | None:
    """Input, reconstruction and residual of the injection nearest the median test SNR, waveform overlaid."""
    extras = dm.test_extras
    if "template" not in extras or "snr" not in extras:
        return None
    labels = dm.arrays["test_labels"]
    sig = np.flatnonzero(labels == 1)
    i = sig[np.argmin(np.abs(extras["snr"][sig] - np.median(extras["snr"][sig])))]
    x = dm.inputs("test")[i : i + 1]
    model.eval()
    with torch.no_grad():
        recon = model(x.to(model.device)).cpu().numpy()[0, 0]
    # back to whitened-strain units, where the injected template lives
    mean, std = dm.transform.mean, dm.transform.std
    data, recon = x.numpy()[0, 0] * std + mean, recon * std + mean
    t = np.arange(len(data)) / dm.layout.fs
    title = f"test window {i}: SNR {extras['snr'][i]:.1f}, score {scores[i]:.3g}"
    return figures.plot_example_window(t, data, recon, run_dir / "example_window.png", extras["template"][i], title)


@torch.no_grad()
def latent_coordinates(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 1024) -> np.ndarray | None:
    """The encoder output (a VAE's z_mean) per sample, when the network has an `encode` method."""
    net = getattr(model, "net", None)
    if not hasattr(net, "encode"):
        return None
    model.eval()
    out = []
    for start in range(0, len(x), batch_size):
        z = net.encode(x[start : start + batch_size].to(model.device))
        out.append((z[0] if isinstance(z, tuple) else z).flatten(1).float().cpu())
    return torch.cat(out).numpy()


def _latent_figure(run_dir: Path, dm: Any, model: torch.nn.Module, names: tuple[str, str]) -> Path | None:
    """Test samples in the latent space (its two leading principal directions when it has more than two)."""
    labels = dm.arrays["test_labels"]
    keep = np.random.default_rng(0).permutation(len(labels))[:6000]  # a readable scatter
    latent = latent_coordinates(model, dm.inputs("test")[np.sort(keep)])
    if latent is None or latent.shape[1] < 2:
        return None
    axes = "latent"
    if latent.shape[1] > 2:
        centred = latent - latent.mean(0)
        latent = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T
        axes = "latent principal direction"
    return figures.plot_latent(latent, labels[np.sort(keep)], run_dir / "latent.png", names, axes)


def write_run_outputs(
    run_dir: Path,
    cfg: DictConfig,
    dm: Any,
    model: torch.nn.Module,
    scores: dict[str, np.ndarray],
    result: dict[str, Any],
    references: dict[str, dict[str, Any]],
    checkpoint: str | None,
    loggers: list,
) -> dict[str, Any]:
    """Every artifact of a finished run in `run_dir`; returns the metrics written to metrics.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    ev = cfg.evaluation
    labels = dm.arrays["test_labels"]
    test = scores["test"]
    flagged = flag(test, result["threshold"])
    extras = {k: v for k, v in dm.test_extras.items() if v.ndim == 1 and v.dtype.names is None}

    arrays = {"score": test, "label": labels, **extras}
    arrays |= {f"reference/{name}": ref["scores"]["test"] for name, ref in references.items()}
    save_arrays(run_dir / "scores.h5", arrays, {"threshold": result["threshold"], "policy": result["policy"]})

    fpr, tpr, _ = metrics.roc_curve(test, labels)
    figs = {
        "score histograms": figures.plot_score_histograms(
            test,
            labels,
            result["threshold"],
            run_dir / "score_histograms.png",
            ev.signal_name,
            ev.background_name,
        ),
        "ROC": figures.plot_roc(
            fpr, tpr, result["auroc"], run_dir / "roc.png", (result["fpr_at_threshold"], result["tpr_at_fpr"])
        ),
        "training curves": figures.plot_training_curves(run_dir / "csv" / "metrics.csv", run_dir / "training.png"),
        "precision-recall": figures.plot_precision_recall(
            *metrics.precision_recall_curve(test, labels), result["average_precision"],
            run_dir / "precision_recall.png", float(labels.mean()),
        ),
        "significance improvement": figures.plot_sic(
            *metrics.sic_curve(test, labels), run_dir / "sic.png", metrics.SIC_MIN_BACKGROUND
        ),
    }  # fmt: skip
    latent = _latent_figure(run_dir, dm, model, (ev.background_name, ev.signal_name))
    if latent:
        figs["latent space"] = latent
    example = _example_figure(run_dir, dm, model, test)
    if example:
        figs["example window"] = example
    if hasattr(dm, "example_figures"):  # dataset-specific pictures of inputs and reconstructions
        figs |= dm.example_figures(run_dir, model, test, result["threshold"])

    tables = {
        "Test samples flagged at the threshold (percent of each column)": metrics.confusion_table_markdown(
            flagged, labels, ev.signal_name, ev.background_name
        )
    }
    out = {"task": cfg.get("task_name"), **result}
    out["checkpoint"] = checkpoint
    out["references"] = {name: ref["metrics"] for name, ref in references.items()}
    var = ev.get("efficiency_variable")
    if var and var in extras:
        model_name = ev.get("model_name") or "autoencoder"
        scorers = {model_name: (test, result["threshold"])}
        scorers |= {n: (r["scores"]["test"], r["metrics"]["threshold"]) for n, r in references.items()}
        rows = efficiency_rows(extras[var], labels, scorers, list(ev.efficiency_edges))
        tables[f"Detection efficiency against {var}"] = efficiency_table(rows, var, model_name)
        centres = np.array([(r["lo"] + r["hi"]) / 2 for r in rows[model_name]])
        eff = np.array([r["efficiency"] for r in rows[model_name]])
        figs["efficiency"] = figures.plot_efficiency_curve(
            centres, eff,
            eff - np.array([r["low"] for r in rows[model_name]]),
            np.array([r["high"] for r in rows[model_name]]) - eff,
            run_dir / "efficiency.png",
            references={n: np.array([r["efficiency"] for r in rows[n]]) for n in references},
            xlabel=f"optimal {var.upper()}" if var == "snr" else var,
            label=model_name,
        )  # fmt: skip
        out["efficiency"] = rows
    notes = list(dm.describe()) if hasattr(dm, "describe") else []
    write_json_atomic(run_dir / "metrics.json", out)
    write_report(run_dir, ev.title, out, tables, figs, notes)
    _log_to_loggers(loggers, result, references, figs)
    return out


def _log_to_loggers(loggers: list, result: dict, references: dict, figs: dict[str, Path]) -> None:
    """Scalar metrics to every logger; figures to those that take images (W&B, TensorBoard)."""
    scalars = {f"test/{k}": v for k, v in result.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    for name, ref in references.items():
        scalars |= {f"reference/{name}/{k}": v for k, v in ref["metrics"].items() if isinstance(v, int | float)}
    for lg in loggers:
        lg.log_metrics(scalars)
        kind = type(lg).__name__
        if kind == "WandbLogger":
            lg.log_image(key="figures", images=[str(p) for p in figs.values()], caption=list(figs))
        elif kind == "TensorBoardLogger":
            import matplotlib.image as mpimg

            for name, path in figs.items():
                img = (mpimg.imread(path)[..., :3] * 255).astype(np.uint8)
                lg.experiment.add_image(name, img, dataformats="HWC")
        lg.save()
