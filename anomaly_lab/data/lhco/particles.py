"""R&D particle lists as a physicist prepares them: a detector-like acceptance (|eta| < eta_max, pT > pt_min),
re-packed pT-ordered, and (eta, phi) taken relative to the event's leading anti-kT jet, phi wrapped to (-pi, pi]
(eta relative to the jet's rapidity, which is its pseudorapidity once there: see `leading_jet_axes`).

Arrays stay in the R&D layout, (N, P, 3) = (pT, eta, phi) zero-padded after the real particles: pT stays positive
in feature 0, so "feature 0 > 0" remains the real-particle mask downstream. The acceptance comes first and the jet
is clustered on the accepted particles only, as a detector would see them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from anomaly_lab.data.lhco.highlevel import event_momenta, leading_jets
from anomaly_lab.data.transforms import PARTICLE_SCALING

FRAMES = ("relative", "absolute")
# ParticleScaler modes per frame: log pT and standardised (d_eta, d_phi) around the jet; the seed's choice else
FRAME_SCALING = {"relative": ("log", "standard", "standard"), "absolute": PARTICLE_SCALING}


@dataclass(frozen=True)
class ParticlePreparation:
    """`data.particles`: the acceptance cuts and the coordinate frame of the particle lists."""

    acceptance: bool = True
    eta_max: float = 2.5
    pt_min: float = 0.5  # GeV
    frame: str = "relative"  # relative: (pT, eta - eta_J1, phi - phi_J1) | absolute: (pT, eta, phi)

    def __post_init__(self) -> None:
        if not isinstance(self.acceptance, bool):
            raise ValueError(f"data.particles.acceptance: expected true or false, got {self.acceptance!r}")
        if not (isinstance(self.eta_max, int | float) and 0 < self.eta_max < math.inf):
            raise ValueError(f"data.particles.eta_max: expected a positive |eta| bound, got {self.eta_max!r}")
        if not (isinstance(self.pt_min, int | float) and 0 <= self.pt_min < math.inf):
            raise ValueError(f"data.particles.pt_min: expected a pT threshold >= 0 in GeV, got {self.pt_min!r}")
        if self.frame not in FRAMES:
            raise ValueError(f"data.particles.frame: expected one of {FRAMES}, got {self.frame!r}")

    @classmethod
    def from_config(cls, options: ParticlePreparation | Any | None) -> ParticlePreparation:
        """From the `data.particles` mapping (or None for the defaults); an unknown key is a one-line error."""
        if options is None or isinstance(options, ParticlePreparation):
            return options or cls()
        unknown = sorted(set(options) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"data.particles: unknown key(s) {unknown}, expected {list(cls.__dataclass_fields__)}")
        return cls(**options)

    @property
    def scaling(self) -> tuple[str, ...]:
        """ParticleScaler modes for (pT, eta, phi) in this frame."""
        return FRAME_SCALING[self.frame]

    def key(self) -> dict[str, Any]:
        return asdict(self)


def accept(particles: np.ndarray, eta_max: float, pt_min: float) -> np.ndarray:
    """(n, P, 3) particles with only those at |eta| < eta_max and pT > pt_min kept, re-packed pT-ordered
    (highest first) with zero rows after; same dtype. An event with none accepted becomes all zeros."""
    pt = particles[..., 0]
    keep = (pt > pt_min) & (pt > 0) & (np.abs(particles[..., 1]) < eta_max)
    order = np.argsort(np.where(keep, -pt, np.inf), axis=1, kind="stable")
    out = np.take_along_axis(particles, order[..., None], axis=1)
    out[np.arange(particles.shape[1])[None, :] >= keep.sum(axis=1)[:, None]] = 0
    return out


def wrap_phi(dphi: np.ndarray) -> np.ndarray:
    """Angles mapped to (-pi, pi]: a particle at phi = 3.1 seen from phi = -3.1 is at -0.083, not 6.2."""
    return np.pi - np.mod(np.pi - dphi, 2 * np.pi)


def leading_jet_axes(particles: np.ndarray, radius: float, chunk_size: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """(y, phi) of each event's pT-leading anti-kT jet of radius `radius`, clustered with FastJet on the real
    particles (the same jets as the high-level features); (0, 0) for an event with no particle.

    The jet's rapidity y, not its pseudorapidity: for massless particles eta is a rapidity, so eta - y_J1 is a
    longitudinal boost, after which the (massive) jet sits at exactly y = eta = 0 and clusters into the same jets.
    """
    y, phi = np.zeros(len(particles)), np.zeros(len(particles))
    for lo in range(0, len(particles), chunk_size):
        chunk = particles[lo : lo + chunk_size]
        has = (chunk[..., 0] > 0).any(axis=1)
        if not has.any():
            continue
        p4, _ = leading_jets(event_momenta(chunk[has]), radius)
        px, py, pz, e = p4[:, 0].T
        idx = lo + np.flatnonzero(has)
        y[idx] = 0.5 * np.log((e + pz) / (e - pz))  # E > |pz|: a jet of particles in |eta| < inf
        phi[idx] = np.arctan2(py, px)
    return y, phi


def relative_to_leading_jet(particles: np.ndarray, radius: float) -> np.ndarray:
    """(pT, eta - y_J1, phi - phi_J1 wrapped to (-pi, pi]): the event boosted along the beam and rotated so that its
    leading jet sits at (0, 0); padding stays 0."""
    y_j, phi_j = leading_jet_axes(particles, radius)
    real = particles[..., 0] > 0
    out = particles.copy()
    out[..., 1] = np.where(real, particles[..., 1] - y_j[:, None], 0.0)
    out[..., 2] = np.where(real, wrap_phi(particles[..., 2].astype(np.float64) - phi_j[:, None]), 0.0)
    return out


def detector_view(particles: np.ndarray, prep: ParticlePreparation) -> np.ndarray:
    """The particles a detector sees, in absolute coordinates: what the high-level features and mjj are made of."""
    return accept(particles, prep.eta_max, prep.pt_min) if prep.acceptance else particles


def model_particles(accepted: np.ndarray, prep: ParticlePreparation, radius: float) -> np.ndarray:
    """The particle lists a model reads, from `detector_view`'s output: in the frame `prep` asks for."""
    return relative_to_leading_jet(accepted, radius) if prep.frame == "relative" else accepted
