"""The GW study's tables from finished runs, with every label read from what the runs recorded:

    python -m anomaly_lab.results.gw_tables detectors <run> ...          # the seed's Table 1: one row per run
    python -m anomaly_lab.results.gw_tables families <run> [--variable snr_full]   # efficiency per family and bin
    python -m anomaly_lab.results.gw_tables backgrounds <run> ...        # per scorer: families flagged, FPR on glitches

`detectors` gives, per run, each scorer's efficiency on the injections and the FPR it reached on test noise, with
the SNR distribution (window and full waveform) the injections ended up with. `families` gives, for a run whose test
mix holds several families, each scorer's efficiency per family and bin of the chosen SNR. `backgrounds` compares
runs on different noise: per scorer, each family's efficiency and the test FPR, apart on noise windows that hold a
glitch (the run's `glitch_snr` extra) and those that do not.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from anomaly_lab.io import load_arrays
from anomaly_lab.results.summary import read_runs

SNR_NAMES = {"snr": "window SNR", "snr_full": "full SNR"}


def _scorers(m: dict[str, Any], model_name: str) -> dict[str, dict[str, Any]]:
    return {model_name: m, **(m.get("references") or {})}


def _distribution(d: dict[str, float] | None) -> str:
    if not d:
        return "—"
    return f"{d['median']:.1f} [{d['q10']:.1f}, {d['q90']:.1f}], {100 * d['fraction_ge_8']:.0f} % ≥ 8"


def detectors_table(paths: list[Path], model_name: str = "autoencoder") -> str:
    """Markdown: per run, each scorer's TPR at its threshold and the test FPR reached, and the injections' SNRs."""
    files, metrics = read_runs(paths)
    scorers = list(_scorers(metrics[0], model_name))
    targets = {m.get("target_fpr") for m in metrics}
    target = f" (threshold at {100 * targets.pop():g} % FPR on validation noise)" if len(targets) == 1 else ""
    head = ["run", "injections", *(f"{s}: flagged / test FPR" for s in scorers)]
    head += [f"{SNR_NAMES[v]}: median [10 %, 90 %], share ≥ 8" for v in SNR_NAMES]
    lines = [f"Efficiency on injected GWs and FPR on test noise{target}.", "", "| " + " | ".join(head) + " |"]
    lines.append("|---|---:|" + "---:|" * (len(head) - 2))
    for f, m in zip(files, metrics, strict=True):
        cells = [m.get("task") or f.parent.name, f"{m['n_test_signal']} + {m['n_test_background']} noise"]
        for s in scorers:
            r = _scorers(m, model_name).get(s)
            cells.append(f"{100 * r['tpr_at_fpr']:.1f} % / {100 * r['fpr_at_threshold']:.1f} %" if r else "—")
        dists = m.get("binned_distributions") or {}
        cells += [_distribution(dists.get(v)) for v in SNR_NAMES]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def families_table(path: Path, variable: str = "snr", model_name: str = "autoencoder") -> str:
    """Markdown: per family and bin of `variable`, each scorer's efficiency at its threshold (the model's with its
    interval), then each family's overall efficiency."""
    (f,), (m,) = read_runs([path])
    by = m.get("efficiency_by")
    if not by or variable not in by[model_name]:
        raise SystemExit(f"{f}: no efficiencies binned on {variable!r}")
    scorers = list(by)
    families = [g for g in by[model_name][variable] if g != "all"]
    head = ["family", f"{SNR_NAMES.get(variable, variable)} bin", "n", *scorers]
    lines = ["| " + " | ".join(head) + " |", "|---|---|---:|" + "---:|" * len(scorers)]
    for family in families:
        for i, row in enumerate(by[model_name][variable][family]):
            cells = [family, f"[{row['lo']:g}, {row['hi']:g})", str(row["n"])]
            cells.append(f"{100 * row['efficiency']:.1f} % [{100 * row['low']:.1f}, {100 * row['high']:.1f}]")
            cells += [f"{100 * by[s][variable][family][i]['efficiency']:.1f} %" for s in scorers[1:]]
            lines.append("| " + " | ".join(cells) + " |")
        signals = m["signals"]
        overall = [f"**{100 * signals[s][family]['tpr_at_threshold']:.1f} %**" for s in scorers]
        n = signals[model_name][family]["n_signal"]
        lines.append("| " + " | ".join([f"**{family}**", "all", str(n), *overall]) + " |")
    return "\n".join(lines)


def _fpr(flagged: np.ndarray) -> str:
    return f"{100 * flagged.mean():.1f} % ({flagged.sum()}/{len(flagged)})" if len(flagged) else "—"


def backgrounds_table(paths: list[Path], model_name: str = "autoencoder") -> str:
    """Markdown: per run and scorer, each family's TPR at the scorer's threshold and the test FPR overall, on noise
    windows without a glitch and on those with one (from scores.h5's `glitch_snr`, when the run recorded it)."""
    files, metrics = read_runs(paths)
    shared = [set(m["signals"][model_name]) for m in metrics]
    families = [f for f in metrics[0]["signals"][model_name] if all(f in names for names in shared)]
    head = ["run", "scorer", *families, "FPR", "FPR, no glitch", "FPR, glitch in window"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 2)]
    for f, m in zip(files, metrics, strict=True):
        arrays = load_arrays(f.parent / "scores.h5")
        background = arrays["label"] == 0
        glitch = arrays.get("glitch_snr", np.zeros(len(background)))[background] > 0
        for name, r in _scorers(m, model_name).items():
            scores = arrays["score"] if name == model_name else arrays[f"reference/{name}"]
            flagged = scores[background] > r["threshold"]
            cells = [m.get("task") or f.parent.name, name]
            cells += [f"{100 * m['signals'][name][fam]['tpr_at_threshold']:.1f} %" for fam in families]
            cells += [f"{100 * r['fpr_at_threshold']:.1f} %", _fpr(flagged[~glitch]), _fpr(flagged[glitch])]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", choices=["detectors", "families", "backgrounds"])
    parser.add_argument("runs", nargs="+", type=Path, help="run directories or their metrics.json files")
    parser.add_argument("--variable", default="snr", help="families: the binned variable (snr or snr_full)")
    parser.add_argument("--model-name", default="autoencoder", help="what the runs call the model")
    args = parser.parse_args()
    if args.table == "detectors":
        print(detectors_table(args.runs, args.model_name))
    elif args.table == "backgrounds":
        print(backgrounds_table(args.runs, args.model_name))
    else:
        if len(args.runs) != 1:
            raise SystemExit("families: expected one run")
        print(families_table(args.runs[0], args.variable, args.model_name))


if __name__ == "__main__":
    main()
