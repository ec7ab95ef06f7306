"""Which settings decide which generated file: a signal mass its own file only, the cocktail the background."""

from __future__ import annotations

from anomaly_lab.data.adc2021.generator import GenerationPlan
from anomaly_lab.data.adc2021.processes import SIGNALS, Adc2021Physics

COUNTS = {"background": 100, **dict.fromkeys(SIGNALS, 10)}


def _keys(**physics: float) -> dict[str, str]:
    plan = GenerationPlan(COUNTS, seed=1, physics=Adc2021Physics(**physics))
    return {name: plan.key(name) for name in COUNTS}


def test_a_signal_mass_changes_its_own_file_only() -> None:
    base, heavier = _keys(), _keys(lq_mass=120.0)
    assert [n for n in COUNTS if base[n] != heavier[n]] == ["leptoquark"]


def test_the_cocktail_changes_the_background_file_only() -> None:
    base, more_z = _keys(), _keys(z_fraction=0.2)
    assert [n for n in COUNTS if base[n] != more_z[n]] == ["background"]


def test_the_detector_changes_every_file() -> None:
    base, wider = _keys(), _keys(smearing={"jet_constant": 0.1})
    assert all(base[n] != wider[n] for n in COUNTS)
