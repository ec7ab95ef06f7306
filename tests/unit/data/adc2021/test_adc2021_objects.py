"""ADC2021 trigger objects from hand-built events: isolation, acceptance, ordering, MET, the rows' layout, the
lepton filter and the resolution, without Pythia."""

from __future__ import annotations

import math
from typing import Any

import awkward as ak
import numpy as np
import pytest

from anomaly_lab.data.adc2021.objects import ObjectCuts, Smearing, event_objects, lepton_filter
from anomaly_lab.data.adc2021.objects_format import ROW_CLASS, ROWS, first_bad_event

EXACT = Smearing(electron_pt=0, muon_pt=0, jet_stochastic=0, jet_constant=0, met_xy=0, lepton_angle=0, jet_angle=0)
E, MU, PION, NU_E, NU_MU, NU_TAU = 11, 13, 211, 12, 14, 16


def particle(pt: float, eta: float, phi: float, pid: int = PION) -> dict[str, Any]:
    """A massless final-state particle."""
    return {"px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pt * np.sinh(eta), "E": pt * np.cosh(eta), "id": pid}


def objects(*events: list[dict[str, Any]], smearing: Smearing = EXACT, seed: int = 0) -> np.ndarray:
    return event_objects(ak.Array(list(events)), np.random.default_rng(seed), ObjectCuts(), smearing)


def test_isolation_keeps_leptons_with_little_activity_in_the_cone() -> None:
    quiet = [particle(40, 0, 0, -E), particle(4, 0.1, 0)]  # 4 / 40 = 0.10 < 0.15
    busy = [particle(40, 0, 0, -E), particle(8, 0.1, 0.1)]  # 8 / 40 = 0.20
    outside = [particle(40, 0, 0, MU), particle(30, 0.35, 0)]  # dR 0.35 > 0.3
    neutrino = [particle(40, 0, 0, MU), particle(30, 0.1, 0, NU_MU)]  # invisible: not in the sum
    rows = objects(quiet, busy, outside, neutrino)
    assert rows[0, 1, 0] == pytest.approx(40) and rows[0, 1, 3] == 2
    assert not rows[1, ROWS["electrons"]].any()
    assert rows[2, 5, 0] == pytest.approx(40) and rows[3, 5, 0] == pytest.approx(40)
    # an isolated lepton is not in a jet; a non-isolated one is, with the activity around it
    assert rows[0, 9, 0] == 0
    assert rows[1, 9, 0] == pytest.approx(48, rel=1e-3)
    assert rows[2, 9, 0] == pytest.approx(30) and rows[3, 9, 0] == 0  # the neutrino makes no jet


@pytest.mark.parametrize(
    ("pid", "eta", "pt", "row", "kept"),
    [
        (E, 2.9, 10, 1, True), (E, 3.1, 10, 1, False), (E, 0, 3.1, 1, True), (E, 0, 2.9, 1, False),
        (MU, 2.0, 10, 5, True), (MU, 2.2, 10, 5, False), (MU, 0, 3.1, 5, True), (MU, 0, 2.9, 5, False),
        (PION, 3.9, 20, 9, True), (PION, 4.1, 20, 9, False), (PION, 0, 15.5, 9, True), (PION, 0, 14.5, 9, False),
    ],
)  # fmt: skip
def test_acceptance_cuts_per_object_type(pid: int, eta: float, pt: float, row: int, kept: bool) -> None:
    rows = objects([particle(pt, eta, 1.0, pid)])
    assert (rows[0, row, 0] > 0) == kept


def test_at_most_4_electrons_4_muons_10_jets_leading_first() -> None:
    # 6 electrons, 5 muons, 12 single-pion jets on a grid, at least dR 1 apart, in a shuffled pT order
    grid = [(eta, phi) for eta in (-1.5, -0.5, 0.5, 1.5) for phi in np.linspace(-np.pi, np.pi, 7)[:-1]]
    kinds = [E] * 6 + [MU] * 5 + [PION] * 12
    pts = np.random.default_rng(1).permutation(np.arange(20.0, 20.0 + 5 * len(kinds), 5))
    event = [particle(pt, eta, phi, pid) for pt, (eta, phi), pid in zip(pts, grid, kinds, strict=False)]
    rows = objects(event)[0]
    for kind, pid, n in (("electrons", E, 4), ("muons", MU, 4), ("jets", PION, 10)):
        expected = np.sort(pts[np.array(kinds) == pid])[::-1][:n]
        np.testing.assert_allclose(rows[ROWS[kind], 0], expected, rtol=1e-9)


def test_met_is_the_neutrinos_vector_sum_with_eta_zero() -> None:
    event = [particle(40, 0, 0.3, MU), particle(30, 1.0, 0.5, NU_MU), particle(20, -2.0, 2.0, NU_E),
             particle(5, 0.2, -1.0, NU_TAU)]  # fmt: skip
    rows = objects(event, [particle(40, 0, 0.3, MU)])
    px = 30 * np.cos(0.5) + 20 * np.cos(2.0) + 5 * np.cos(-1.0)
    py = 30 * np.sin(0.5) + 20 * np.sin(2.0) + 5 * np.sin(-1.0)
    np.testing.assert_allclose(rows[0, 0], [np.hypot(px, py), 0.0, np.arctan2(py, px), 1.0], rtol=1e-9)
    np.testing.assert_array_equal(rows[1, 0], [0.0, 0.0, 0.0, 1.0])  # no invisible particle: MET 0, still class 1


def test_rows_hold_their_class_and_empty_slots_are_zero() -> None:
    event = [particle(40, 0, 0, E), particle(30, 1, 2, MU), particle(50, -1, -2), particle(20, 0, 2.5, NU_E)]
    rows = objects(event)[0]
    filled = rows[:, 0] > 0
    assert filled.tolist() == [True, True, False, False, False, True] + [False] * 3 + [True] + [False] * 9
    np.testing.assert_array_equal(rows[filled, 3], ROW_CLASS[filled])
    assert not rows[~filled].any()
    assert first_bad_event(objects(event, smearing=Smearing(), seed=3)) is None


def test_filter_needs_an_electron_or_muon_above_23_gev() -> None:
    rows = np.zeros((6, 19, 4))
    rows[0, 1, 0] = 24  # electron
    rows[1, 8, 0] = 24  # fourth muon
    rows[2, [1, 5], 0] = 22
    rows[3, 9, 0] = rows[4, 0, 0] = 100  # a jet, MET
    assert lepton_filter(rows).tolist() == [True, True, False, False, False, False]


def test_resolution_widths_match_the_settings() -> None:
    smearing, n = Smearing(), 4000
    events = [[particle(50, 0.5, 1.0, E), particle(50, -0.5, -2.0, MU), particle(100, 0, 2.5)]] * n
    rows = objects(*events, smearing=smearing, seed=7)
    electron, muon, jet, met = rows[:, 1], rows[:, 5], rows[:, 9], rows[:, 0]
    jet_sigma = np.sqrt(smearing.jet_stochastic**2 / 100 + smearing.jet_constant**2)
    for values, centre, sigma in (
        (electron[:, 0] / 50, 1, smearing.electron_pt), (muon[:, 0] / 50, 1, smearing.muon_pt),
        (jet[:, 0] / 100, 1, jet_sigma), (electron[:, 1], 0.5, smearing.lepton_angle),
        (jet[:, 2], 2.5, smearing.jet_angle),
        (met[:, 0] * np.cos(met[:, 2]), 0, smearing.met_xy), (met[:, 0] * np.sin(met[:, 2]), 0, smearing.met_xy),
    ):  # fmt: skip
        assert values.std() == pytest.approx(sigma, rel=0.06)  # 4000 draws: 1.1 % error on a standard deviation
        assert abs(values.mean() - centre) < 4 * sigma / np.sqrt(n)


def test_resolution_acts_before_the_cuts() -> None:
    # electrons at the cut's pT: half fluctuate above it; jets 1 GeV below it: those fluctuating up by 1 GeV
    smearing = Smearing()
    rows = objects(*[[particle(3.0, 0, 0, E), particle(14.0, 0, 2)]] * 2000, smearing=smearing, seed=2)
    assert 0.45 < np.mean(rows[:, 1, 0] > 0) < 0.55
    sigma = 14.0 * np.sqrt(smearing.jet_stochastic**2 / 14.0 + smearing.jet_constant**2)
    assert np.mean(rows[:, 9, 0] > 0) == pytest.approx(0.5 * math.erfc(1.0 / sigma / math.sqrt(2)), abs=0.04)


def test_same_seed_same_objects() -> None:
    events = [[particle(40, 0.1 * i, 0, E), particle(35, 1, 2), particle(20, 0, -2, NU_E)] for i in range(20)]
    first, again = objects(*events, smearing=Smearing(), seed=5), objects(*events, smearing=Smearing(), seed=5)
    other = objects(*events, smearing=Smearing(), seed=6)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
