"""High-level dijet features of R&D events: mjj, the two jet masses and their tau21, from anti-kT R = 1 jets.

The two pT-leading jets are kept and then ordered by mass (j1 the heavier), as in the R&D literature, so that
for the signal mj1 sits near m_X = 500 GeV and mj2 near m_Y = 100 GeV whatever their pT order. N-subjettiness
uses FastJet contrib's Nsubjettiness through the fastjet package: exclusive-kT axes, beta = 1, unnormalised
(the normalisation cancels in tau21). Events are clustered many at a time with FastJet's vectorised interface.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import fastjet
import numpy as np

HLF_NAMES = ("mjj", "mj1", "mj2", "tau21_j1", "tau21_j2")


def event_momenta(particles: np.ndarray) -> Any:
    """Jagged massless four-momenta (px, py, pz, E) per event from (n, P, 3) zero-padded (pT, eta, phi)."""
    real = particles[..., 0] > 0
    pt, eta, phi = (particles[..., i][real].astype(np.float64) for i in range(3))
    flat = ak.zip(
        {"px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pt * np.sinh(eta), "E": pt * np.cosh(eta)},
        with_name="Momentum4D",
    )
    return ak.unflatten(flat, real.sum(axis=1))


def invariant_mass(px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Mass of four-momenta, with round-off below zero clipped (a single massless particle has mass 0)."""
    return np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0))


def _pad2(x: Any) -> np.ndarray:
    return ak.to_numpy(ak.fill_none(ak.pad_none(x, 2, axis=1, clip=True), 0.0)).astype(np.float64)


def leading_jets(momenta: Any, radius: float = 1.0) -> tuple[np.ndarray, Any]:
    """The two pT-leading anti-kT jets per event: (four-momenta (n, 2, 4) as px, py, pz, E, zero for a missing
    jet; constituents as one jagged list per jet, event by event)."""
    cs = fastjet.ClusterSequence(momenta, fastjet.JetDefinition(fastjet.antikt_algorithm, radius))
    jets, index = cs.inclusive_jets(0.0), cs.constituent_index(0.0)
    order = ak.argsort(np.hypot(jets.px, jets.py), axis=1, ascending=False)[:, :2]
    jets, index = jets[order], index[order]
    p4 = np.stack([_pad2(jets[c]) for c in ("px", "py", "pz", "E")], axis=-1)
    # constituent indices are per event: offset them into the flat particle arrays to gather each jet's particles
    offsets = np.asarray(ak.to_layout(momenta).offsets)
    starts = offsets[:-1] - offsets[0]
    flat_index = ak.to_numpy(ak.flatten(index + starts, axis=None))
    flat = ak.flatten(momenta)[flat_index]
    constituents = ak.unflatten(flat, ak.flatten(ak.num(index, axis=2)))
    return p4, constituents


def tau21(constituents: Any, radius: float = 1.0) -> np.ndarray:
    """tau2 / tau1 per jet (exclusive-kT axes, beta = 1); 0 where tau1 is 0 (a jet of one particle)."""
    if len(constituents) == 0:
        return np.zeros(0)
    cs = fastjet.ClusterSequence(constituents, fastjet.JetDefinition(fastjet.kt_algorithm, radius))
    taus = cs.njettiness(
        measure_definition="UnnormalizedMeasure", axes_definition="KT_Axes", njets=[1, 2], beta=1.0, R0=radius
    )
    taus = ak.to_numpy(taus).reshape(-1, 2)
    return np.divide(taus[:, 1], taus[:, 0], out=np.zeros(len(taus)), where=taus[:, 0] > 0)


def _chunk_features(particles: np.ndarray, radius: float) -> np.ndarray:
    momenta = event_momenta(particles)
    p4, constituents = leading_jets(momenta, radius)
    n_jets = np.count_nonzero(p4[..., 3] > 0, axis=1)
    ratios = _pad2(ak.unflatten(tau21(constituents, radius), n_jets))
    masses = invariant_mass(*np.moveaxis(p4, -1, 0))
    mjj = invariant_mass(*p4.sum(axis=1).T)
    heavier_first = np.argsort(-masses, axis=1, kind="stable")
    masses = np.take_along_axis(masses, heavier_first, axis=1)
    ratios = np.take_along_axis(ratios, heavier_first, axis=1)
    return np.column_stack([mjj, masses, ratios])


def high_level_features(particles: np.ndarray, radius: float = 1.0, chunk_size: int = 2000) -> np.ndarray:
    """(n, 5) float64 features HLF_NAMES per event from (n, P, 3) particles; a missing second jet counts as zero
    (mjj is then the single jet's mass)."""
    if len(particles) == 0:
        return np.zeros((0, len(HLF_NAMES)))
    return np.concatenate(
        [_chunk_features(particles[lo : lo + chunk_size], radius) for lo in range(0, len(particles), chunk_size)]
    )
