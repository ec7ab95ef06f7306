"""The search's command lines: `simulate` and `analyse` with `key=value` arguments (the scanner's spelling, lists as
`[a,b]`) into checked settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from anomaly_lab.key_values import key_values
from anomaly_lab.search.analyse import AnalyseOptions
from anomaly_lab.search.inject import InjectionPlan
from anomaly_lab.search.stretch import StretchConfig

SIMULATE_USAGE = (
    "usage: python -m anomaly_lab.search simulate output=<dir> [sites=[H1,L1]] [gps_start=1200000000] "
    "[duration_s=256] [sample_rate=2048|4096] [seed=0] [injections=true] [spacing_s=30] [jitter_s=5] [margin_s=10] "
    "[snr_reference=H1|network] [snr_distribution=uniform] [snr_min=8] [snr_max=20] [mass_min=10] [mass_max=50] "
    "[approximant=IMRPhenomD] [f_min=20]"
)
ANALYSE_USAGE = (
    "usage: python -m anomaly_lab.search analyse noise=<scan dir(s)> injected=<scan dir(s)> injections=<csv> "
    "output=<dir> [single_far=10] [trigger_far=100] [far=1] [slide_s=5] [slides=50] [tolerance_s=<window/2>] "
    "[found_s=0.1] [snr_edges=[0,8,10,12,15,20,30,1000]]"
)


def _kinds(*classes: type) -> dict[str, str]:
    return {f.name: str(f.type) for cls in classes for f in dataclasses.fields(cls)}


def _require(given: dict[str, Any], names: tuple[str, ...], usage: str) -> None:
    missing = [k for k in names if k not in given]
    if missing:
        raise ValueError(f"missing {', '.join(f'{k}=' for k in missing)}; {usage}")


def parse_simulate(argv: list[str]) -> tuple[StretchConfig, InjectionPlan | None, Path]:
    """The stretch, the injection plan (None with injections=false) and the output directory."""
    kinds = _kinds(StretchConfig, InjectionPlan) | {"output": "Path", "injections": "bool"}
    given = key_values(argv, kinds, SIMULATE_USAGE)
    _require(given, ("output",), SIMULATE_USAGE)
    pick = {cls: {k: v for k, v in given.items() if k in _kinds(cls)} for cls in (StretchConfig, InjectionPlan)}
    cfg = StretchConfig(**pick[StretchConfig])
    plan = InjectionPlan(**pick[InjectionPlan]) if given.get("injections", True) else None
    return cfg, plan, given["output"]


def parse_analyse(argv: list[str]) -> AnalyseOptions:
    """Checked analysis options: input files exist, rates and tolerances positive, bin edges increasing."""
    given = key_values(argv, _kinds(AnalyseOptions), ANALYSE_USAGE)
    _require(given, ("noise", "injected", "injections", "output"), ANALYSE_USAGE)
    opts = AnalyseOptions(**given)
    for key in ("noise", "injected"):
        for path in getattr(opts, key):
            if not path.exists():
                raise FileNotFoundError(f"{key}={path}: no such file or directory (expected a scanner output)")
    positive = {k: getattr(opts, k) for k in ("single_far", "trigger_far", "far", "slide_s", "found_s")}
    if any(v <= 0 for v in positive.values()) or (opts.tolerance_s is not None and opts.tolerance_s < 0):
        raise ValueError(f"{positive}, tolerance_s={opts.tolerance_s}: expected positive values")
    edges = opts.snr_edges
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ValueError(f"snr_edges={edges}: expected at least two increasing edges")
    return opts
