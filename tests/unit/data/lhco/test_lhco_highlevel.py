"""High-level dijet features (mjj, mj1, mj2, tau21 of both jets) on events whose values are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from anomaly_lab.data.lhco.highlevel import high_level_features


def dijet(pt: float, eta: float = 0.0) -> np.ndarray:
    """One event of two back-to-back particles (massless, pT `pt`) at +-eta."""
    event = np.zeros((1, 700, 3), np.float32)
    event[0, :2] = [(pt, eta, 0.0), (pt, -eta, np.pi)]
    return event


def test_two_back_to_back_particles_are_two_massless_jets() -> None:
    # each its own jet: mjj = 2E, jet masses and tau21 zero
    mjj, mj1, mj2, t1, t2 = high_level_features(dijet(1500.0, eta=0.5))[0]
    assert mjj == pytest.approx(2 * 1500.0 * np.cosh(0.5), rel=1e-6) and mj1 == mj2 == t1 == t2 == 0.0


def test_two_prong_jet_mass_and_tau21_by_hand() -> None:
    # a two-prong jet (pT 300 at phi = 0 and 0.4, opposite a single particle): m = 2 sqrt(pT1 pT2) sin(dphi / 2),
    # two exclusive-kT axes on the prongs (tau2 = 0)
    event = np.zeros((1, 700, 3), np.float32)
    event[0, :3] = [(600.0, 0.0, np.pi), (300.0, 0.0, 0.0), (300.0, 0.0, 0.4)]
    mjj, mj1, mj2, t1, t2 = high_level_features(event)[0]
    assert mj1 == pytest.approx(2 * 300.0 * np.sin(0.2), rel=1e-5) and mj2 == 0.0 and t1 == 0.0
    # a soft third particle in the jet: tau2 / tau1 from the same sums by hand (pT-weighted distances to the axes)
    event[0, 3] = (30.0, 0.5, 0.0)
    _, _, _, t1, _ = high_level_features(event)[0]
    parts = event[0, 1:4].astype(np.float64)

    def four(p: np.ndarray) -> np.ndarray:
        return np.array([p[0] * np.cos(p[2]), p[0] * np.sin(p[2]), p[0] * np.sinh(p[1]), p[0] * np.cosh(p[1])])

    def rap_phi(v: np.ndarray) -> tuple[float, float]:
        return 0.5 * np.log((v[3] + v[2]) / (v[3] - v[2])), np.arctan2(v[1], v[0])

    def tau(axes: list[np.ndarray]) -> float:
        total = 0.0
        for p in parts:
            total += p[0] * min(np.hypot(p[1] - rap_phi(a)[0], p[2] - rap_phi(a)[1]) for a in axes)
        return total

    vecs = [four(p) for p in parts]
    # exclusive kT: the soft particle first joins the nearer prong (smaller pT^2 dR^2), leaving two axes
    tau1, tau2 = tau([sum(vecs)]), tau([vecs[0] + vecs[2], vecs[1]])
    assert t1 == pytest.approx(tau2 / tau1, rel=1e-6)


def test_j1_is_the_heavier_jet_even_when_softer() -> None:
    event = dijet(1000.0)
    event[0, 1:3] = [(1200.0, 0.0, np.pi), (50.0, 0.3, 0.0)]  # the massive jet (pT ~1050) is the softer one
    _, mj1, mj2, _, _ = high_level_features(event)[0]
    assert mj1 == pytest.approx(np.sqrt(2 * 1000.0 * 50.0 * (np.cosh(0.3) - 1)), rel=1e-5) and mj2 == 0.0
