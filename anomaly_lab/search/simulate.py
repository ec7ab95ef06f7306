"""A stretch made and written: every site's noise, the same noise with the injections added, the injection list."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anomaly_lab.scan.writers import write_csv
from anomaly_lab.search.inject import InjectionPlan, draw_injections, inject
from anomaly_lab.search.stretch import StretchConfig, file_name, site_noise, write_gwosc


@dataclass
class Stretch:
    """Every site's strain over the stretch, and the injection list's columns (None for noise only)."""

    config: StretchConfig
    strain: dict[str, np.ndarray]
    injections: dict[str, np.ndarray] | None


def make_stretch(cfg: StretchConfig, injections: InjectionPlan | None = None) -> Stretch:
    """The stretch's noise, plus the plan's injections when one is given: with the same `cfg` (seed) the noise is
    the same with or without them, so a noise-only background and an injected efficiency share it."""
    strain = {site: site_noise(cfg, site) for site in cfg.sites}
    if injections is None:
        return Stretch(cfg, strain, None)
    table = inject(strain, draw_injections(injections, cfg), injections, cfg)
    return Stretch(cfg, strain, table)


def write_stretch(stretch: Stretch, directory: Path) -> list[Path]:
    """One GWOSC file per site in `directory`; their paths, in the config's order of sites."""
    cfg = stretch.config
    return [write_gwosc(directory / file_name(site, cfg), site, stretch.strain[site], cfg) for site in cfg.sites]


def simulate(cfg: StretchConfig, plan: InjectionPlan | None, output: Path) -> list[str]:
    """Write `<output>/noise/` (noise only) and, with a plan, `<output>/injected/` (the same noise with the
    injections) and `<output>/injections.csv`; the summary lines. The noise is made once and written twice."""
    start = time.perf_counter()
    stretch = make_stretch(cfg)
    lines = [f"noise: {', '.join(map(str, write_stretch(stretch, output / 'noise')))}"]
    if plan is not None:
        stretch.injections = inject(stretch.strain, draw_injections(plan, cfg), plan, cfg)
        paths = write_stretch(stretch, output / "injected")
        csv = write_csv(output / "injections.csv", stretch.injections)
        n = len(stretch.injections["gps_geocent"])
        lines += [f"injected: {', '.join(map(str, paths))}", f"{n} injections -> {csv}"]
    wall = time.perf_counter() - start
    lines.append(f"simulated {cfg.duration_s} s of {','.join(cfg.sites)} at {cfg.sample_rate} Hz in {wall:.1f} s")
    return lines
