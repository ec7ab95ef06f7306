"""Generator-level final-state particles to ADC2021 trigger objects: isolated electrons and muons, anti-kT R = 0.4
jets, MET, with a CMS-like Gaussian resolution, as (n, 19, 4) rows of the public file.

A parametrised detector, not a simulation: no pileup, no fake leptons, no efficiencies. The resolution is applied
before the acceptance cuts, so objects near a threshold migrate across it as they would in a detector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import awkward as ak
import fastjet
import numpy as np

from anomaly_lab.data.adc2021.objects_format import CLASSES, N_OBJECTS, ROWS

ELECTRON, MUON = 11, 13
# never seen by a detector: neutrinos, and the lightest neutralino for any signal that would make one
INVISIBLE = (12, 14, 16, 1000022)
MAX_OBJECTS = {k: s.stop - s.start for k, s in ROWS.items()}  # 1 MET, 4 e, 4 mu, 10 jets


@dataclass(frozen=True)
class ObjectCuts:
    """Which objects are kept: acceptance, isolation, jet definition, and the dataset's lepton filter."""

    lepton_pt_min: float = 3.0
    electron_eta_max: float = 3.0
    muon_eta_max: float = 2.1
    # isolated: the scalar pT sum of the other visible particles within dR < iso_cone of the lepton is below
    # iso_max x the lepton pT (CMS-like relative PF isolation; no pileup to subtract here)
    iso_cone: float = 0.3
    iso_max: float = 0.15
    jet_radius: float = 0.4
    jet_pt_min: float = 15.0
    jet_eta_max: float = 4.0
    calo_eta_max: float = 5.0  # jets are clustered from visible particles inside the calorimeters' reach
    filter_pt: float = 23.0  # every event of the dataset has an electron or muon above this


@dataclass(frozen=True)
class Smearing:
    """Gaussian resolutions, CMS-like (no pileup simulated; its share of the MET resolution is in `met_xy`)."""

    electron_pt: float = 0.02  # sigma(pT)/pT, ECAL + tracker electrons at 20-100 GeV
    muon_pt: float = 0.015  # sigma(pT)/pT, tracker + muon system below ~100 GeV
    jet_stochastic: float = 1.0  # sigma(pT)/pT = jet_stochastic / sqrt(pT / GeV) (+) jet_constant: PF jets,
    jet_constant: float = 0.05  # 19 % at 30 GeV, 11 % at 100 GeV
    met_xy: float = 15.0  # GeV per MET component: PF MET in low-activity events with ~20 pileup interactions
    lepton_angle: float = 0.001  # sigma of eta and of phi (tracks)
    jet_angle: float = 0.02  # sigma of eta and of phi (calorimeter clusters)


def pt_eta_phi(px: Any, py: Any, pz: Any) -> tuple[Any, Any, Any]:
    """(pT, eta, phi) from momentum components (numpy or awkward); massless kinematics for eta."""
    pt = np.hypot(px, py)
    return pt, np.arcsinh(pz / np.maximum(pt, 1e-12)), np.arctan2(py, px)


def _wrap(phi: Any) -> Any:
    return (phi + np.pi) % (2 * np.pi) - np.pi


def _gauss(rng: np.random.Generator, like: Any) -> Any:
    """Standard normal draws shaped like a jagged array, drawn in event order (so the same input, same draws)."""
    counts = ak.num(like, axis=1)
    return ak.unflatten(rng.standard_normal(int(ak.sum(counts))), counts)


def _isolation(leptons: Any, visible: Any, cone: float) -> Any:
    """Per lepton: the scalar pT sum of the visible particles other than itself within dR < cone."""
    pairs = ak.cartesian({"lep": leptons, "vis": visible}, axis=1, nested=True)
    lep, vis = pairs.lep, pairs.vis
    dr = np.hypot(lep.eta - vis.eta, _wrap(lep.phi - vis.phi))
    near = (dr < cone) & (lep.index != vis.index)
    return ak.sum(ak.where(near, vis.pt, 0.0), axis=-1)


def _leptons(p: Any, rng: np.random.Generator, cuts: ObjectCuts, smear: Smearing) -> tuple[Any, Any]:
    """Smeared isolated leptons in acceptance, and the particle mask of those leptons (kept out of the jets)."""
    visible = p[~_is_invisible(p.id)]
    is_lep = (abs(p.id) == ELECTRON) | (abs(p.id) == MUON)
    lep = p[is_lep]
    iso = _isolation(lep, visible, cuts.iso_cone)
    is_e = abs(lep.id) == ELECTRON
    sigma = ak.where(is_e, smear.electron_pt, smear.muon_pt)
    pt = np.maximum(lep.pt * (1 + sigma * _gauss(rng, lep)), 0.0)
    eta = lep.eta + smear.lepton_angle * _gauss(rng, lep)
    phi = _wrap(lep.phi + smear.lepton_angle * _gauss(rng, lep))
    eta_max = ak.where(is_e, cuts.electron_eta_max, cuts.muon_eta_max)
    selected = (pt > cuts.lepton_pt_min) & (abs(eta) < eta_max) & (iso < cuts.iso_max * lep.pt)
    out = ak.zip({"pt": pt, "eta": eta, "phi": phi, "electron": is_e})[selected]
    pairs = ak.cartesian({"particle": p.index, "chosen": lep.index[selected]}, axis=1, nested=True)
    return out, ak.any(pairs.particle == pairs.chosen, axis=-1)


def _jets(p: Any, rng: np.random.Generator, cuts: ObjectCuts, smear: Smearing) -> Any:
    """Smeared anti-kT jets of the given particles, in acceptance."""
    momenta = ak.zip({"px": p.px, "py": p.py, "pz": p.pz, "E": p.E}, with_name="Momentum4D")
    sequence = fastjet.ClusterSequence(momenta, fastjet.JetDefinition(fastjet.antikt_algorithm, cuts.jet_radius))
    # jets below a third of the cut are left out: reaching it would take a 4-sigma upward fluctuation
    jets = sequence.inclusive_jets(cuts.jet_pt_min / 3)
    pt, eta, phi = pt_eta_phi(jets.px, jets.py, jets.pz)
    sigma = np.sqrt(smear.jet_stochastic**2 / np.maximum(pt, 1e-12) + smear.jet_constant**2)
    pt = np.maximum(pt * (1 + sigma * _gauss(rng, pt)), 0.0)
    eta = eta + smear.jet_angle * _gauss(rng, pt)
    phi = _wrap(phi + smear.jet_angle * _gauss(rng, pt))
    out = ak.zip({"pt": pt, "eta": eta, "phi": phi})
    return out[(pt > cuts.jet_pt_min) & (abs(eta) < cuts.jet_eta_max)]


def _rows(objects: Any, kind: str) -> np.ndarray:
    """(n, k, 4) rows of one object class: the k leading by pT, then zeros."""
    k = MAX_OBJECTS[kind]
    lead = objects[ak.argsort(objects.pt, axis=1, ascending=False)][:, :k]
    cols = [ak.to_numpy(ak.fill_none(ak.pad_none(lead[c], k, axis=1, clip=True), 0.0)) for c in ("pt", "eta", "phi")]
    return np.stack([*cols, np.where(cols[0] > 0, float(CLASSES[kind]), 0.0)], axis=-1)


def event_objects(
    particles: Any, rng: np.random.Generator, cuts: ObjectCuts | None = None, smearing: Smearing | None = None
) -> np.ndarray:
    """(n, 19, 4) float64 ADC2021 rows of a batch of events.

    `particles`: per event, the final-state particles as awkward records with px, py, pz, E (GeV) and id (PDG).
    MET is the vector pT sum of the invisible particles (= minus that of everything visible), eta = 0, class 1.
    """
    cuts, smearing = cuts or ObjectCuts(), smearing or Smearing()
    pt, eta, phi = pt_eta_phi(particles.px, particles.py, particles.pz)
    p = ak.zip({"px": particles.px, "py": particles.py, "pz": particles.pz, "E": particles.E, "id": particles.id,
                "pt": pt, "eta": eta, "phi": phi, "index": ak.local_index(particles.px, axis=1)})  # fmt: skip
    invisible = _is_invisible(p.id)
    leptons, taken = _leptons(p, rng, cuts, smearing)
    jets = _jets(p[~invisible & ~taken & (abs(p.eta) < cuts.calo_eta_max)], rng, cuts, smearing)
    met_x = ak.to_numpy(ak.sum(p.px[invisible], axis=1)) + smearing.met_xy * rng.standard_normal(len(p))
    met_y = ak.to_numpy(ak.sum(p.py[invisible], axis=1)) + smearing.met_xy * rng.standard_normal(len(p))
    out = np.zeros((len(p), N_OBJECTS, 4))
    out[:, 0] = np.stack([np.hypot(met_x, met_y), np.zeros(len(p)), np.arctan2(met_y, met_x),
                          np.full(len(p), float(CLASSES["met"]))], axis=-1)  # fmt: skip
    out[:, ROWS["electrons"]] = _rows(leptons[leptons.electron], "electrons")
    out[:, ROWS["muons"]] = _rows(leptons[~leptons.electron], "muons")
    out[:, ROWS["jets"]] = _rows(jets, "jets")
    return out


def _is_invisible(pid: Any) -> Any:
    absid = abs(pid)
    out = absid == INVISIBLE[0]
    for i in INVISIBLE[1:]:
        out = out | (absid == i)
    return out


def lepton_filter(objects: np.ndarray, pt_min: float = ObjectCuts.filter_pt) -> np.ndarray:
    """Per event of (n, 19, 4) rows: an electron or a muon has pT > pt_min (the dataset's filter)."""
    leptons = objects[:, ROWS["electrons"].start : ROWS["muons"].stop, 0]
    return (leptons > pt_min).any(axis=1)
