"""LHCO particle preparation: the acceptance keeps exactly the particles inside the cuts, pT-ordered; the leading-jet
frame wraps phi and puts the jet at (0, 0); padding and empty events stay zero through the log scaling; generated
and file events are prepared the same way, with mjj from the accepted particles in absolute coordinates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from anomaly_lab.data.lhco.datamodule import LHCODataModule
from anomaly_lab.data.lhco.highlevel import event_momenta, high_level_features, leading_jets
from anomaly_lab.data.lhco.particles import (
    ParticlePreparation,
    accept,
    detector_view,
    model_particles,
    relative_to_leading_jet,
    wrap_phi,
)
from anomaly_lab.data.lhco.rnd_format import iter_events, write_events
from anomaly_lab.data.transforms import PARTICLE_SCALING, ParticleScaler


def wide_events(n: int, seed: int = 0, n_real: int = 60) -> np.ndarray:
    """(n, 100, 3) events with particles out to |eta| = 5 and pT down to 0.05 GeV, in no particular order, around
    two hard back-to-back sprays (so each event has a clear leading jet)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 100, 3), np.float32)
    x[:, :n_real, 0] = rng.exponential(3.0, (n, n_real)) + 0.05
    x[:, :n_real, 1] = rng.uniform(-5.0, 5.0, (n, n_real))
    x[:, :n_real, 2] = rng.uniform(-np.pi, np.pi, (n, n_real))
    axis_eta, axis_phi = rng.uniform(-1.5, 1.5, n), rng.uniform(-np.pi, np.pi, n)
    for k, sign in ((0, 1.0), (1, -1.0)):  # 8 hard particles near the axis, 8 near the opposite side
        rows = slice(n_real + 8 * k, n_real + 8 * k + 8)
        x[:, rows, 0] = rng.exponential(200.0, (n, 8)) + 50.0
        x[:, rows, 1] = sign * axis_eta[:, None] + rng.normal(0.0, 0.3, (n, 8))
        x[:, rows, 2] = wrap_phi(axis_phi[:, None] + (k * np.pi) + rng.normal(0.0, 0.3, (n, 8)))
    return x[:, rng.permutation(100)]  # padding mixed in too: the acceptance must re-pack


def test_acceptance_keeps_exactly_the_particles_inside_the_cuts_pt_ordered() -> None:
    x = wide_events(20)
    out = accept(x, eta_max=2.5, pt_min=0.5)
    assert out.shape == x.shape and out.dtype == np.float32
    for event, prepared in zip(x, out, strict=True):
        inside = event[(event[:, 0] > 0.5) & (np.abs(event[:, 1]) < 2.5)]
        expected = inside[np.argsort(-inside[:, 0], kind="stable")]
        assert 0 < len(expected) < (event[:, 0] > 0).sum()  # the cuts do remove particles here
        np.testing.assert_array_equal(prepared[: len(expected)], expected)
        assert np.all(prepared[len(expected) :] == 0)


def test_delta_phi_wraps_around_pi() -> None:
    assert wrap_phi(np.array(3.1 - (-3.1))) == pytest.approx(6.2 - 2 * np.pi)  # -0.083, not 6.2
    np.testing.assert_allclose(wrap_phi(np.array([np.pi, -np.pi, 0.5, -7.0])), [np.pi, np.pi, 0.5, 2 * np.pi - 7.0])
    # a hard particle alone at phi = -3.1 is the leading jet; a soft one far in eta, at phi = 3.1, is 0.083 from it
    event = np.zeros((1, 4, 3), np.float32)
    event[0, :2] = [(1000.0, 0.0, -3.1), (1.0, 2.0, 3.1)]
    rel = relative_to_leading_jet(event, radius=1.0)
    np.testing.assert_allclose(rel[0, :2], [(1000.0, 0.0, 0.0), (1.0, 2.0, 6.2 - 2 * np.pi)], atol=1e-6)
    assert np.all(rel[0, 2:] == 0)


def test_leading_jet_ends_at_the_origin_and_keeps_its_constituents() -> None:
    absolute = accept(wide_events(30, seed=1), 2.5, 0.5)
    rel = relative_to_leading_jet(absolute, radius=1.0)
    np.testing.assert_array_equal(rel[..., 0], absolute[..., 0])  # pT untouched, the mask with it
    assert np.all(rel[..., 2] > -np.pi) and np.all(rel[..., 2] <= np.pi)
    # clustered again by FastJet, the moved event's leading jet is at y = eta = 0, phi = 0, with the same pT and mass
    before, _ = leading_jets(event_momenta(absolute), 1.0)
    after, constituents = leading_jets(event_momenta(rel), 1.0)
    px, py, pz, e = after[:, 0].T
    pt = np.hypot(px, py)
    np.testing.assert_allclose(pz / pt, 0.0, atol=1e-5)
    np.testing.assert_allclose(np.arctan2(py, px), 0.0, atol=1e-5)
    np.testing.assert_allclose(pt, np.hypot(*before[:, 0, :2].T), rtol=1e-5)
    # and its constituents' pT-weighted centre is near the origin (the jet's own eta-phi)
    c_pt = np.hypot(constituents.px, constituents.py)[::2]  # leading jet of each event
    c_eta = np.arcsinh(constituents.pz / np.hypot(constituents.px, constituents.py))[::2]
    c_phi = np.arctan2(constituents.py, constituents.px)[::2]
    weights = np.asarray([np.sum(w) for w in c_pt])
    assert np.all(np.abs([np.sum(w * v) for w, v in zip(c_pt, c_eta, strict=True)] / weights) < 0.1)
    assert np.all(np.abs([np.sum(w * v) for w, v in zip(c_pt, c_phi, strict=True)] / weights) < 0.1)


def test_an_event_with_no_accepted_particle_stays_zero_through_scaling() -> None:
    x = wide_events(6, seed=2)
    x[1] = 0.0  # empty already
    x[2, :, 1] = np.where(x[2, :, 0] > 0, 3.0, 0.0)  # every particle beyond |eta| = 2.5
    prep = ParticlePreparation()
    prepared = model_particles(detector_view(x, prep), prep, radius=1.0)
    assert np.all(prepared[1:3] == 0) and np.isfinite(prepared).all()
    assert (prepared[[0, 3, 4, 5], :, 0] > 0).any(axis=1).all()
    scaler = ParticleScaler(prep.scaling).fit(prepared)
    out = scaler(prepared)
    assert np.isfinite(out).all() and np.all(out[1:3] == 0)


def test_log_scaling_standardises_log_pt_keeps_padding_zero_and_its_twin_matches() -> None:
    prepared = relative_to_leading_jet(accept(wide_events(40, seed=3), 2.5, 0.5), 1.0)
    real = prepared[..., 0] > 0
    scaler = ParticleScaler(("log", "standard", "standard")).fit(prepared)
    out = scaler(prepared)
    log_pt = np.log(prepared[..., 0][real].astype(np.float64))
    np.testing.assert_allclose(out[..., 0][real], (log_pt - log_pt.mean()) / log_pt.std(), rtol=1e-5, atol=1e-5)
    assert np.all(out[~real] == 0) and np.array_equal(out[..., 3], real.astype(np.float32))
    with torch.no_grad():
        twin = scaler.as_module()(torch.from_numpy(prepared)).numpy()
    np.testing.assert_array_equal(twin, out)  # bit for bit, padding included
    with pytest.raises(ValueError, match="'log' scaling of feature 1 needs positive values"):
        ParticleScaler(("standard", "log", "standard")).fit(prepared)


@pytest.mark.parametrize(("options", "message"), [
    ({"eta_max": 0.0}, "data.particles.eta_max"),
    ({"pt_min": -1.0}, "data.particles.pt_min"),
    ({"frame": "lab"}, "data.particles.frame"),
    ({"acceptance": "yes"}, "data.particles.acceptance"),
    ({"eta_cut": 2.5}, r"data.particles: unknown key\(s\) \['eta_cut'\]"),
])  # fmt: skip
def test_bad_particle_options_are_named(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LHCODataModule(sizes={"train": 1, "val": 1, "val_signal": 1, "test_background": 1, "test_signal": 1},
                       particles=options)  # fmt: skip


def test_the_frame_chooses_the_scaling() -> None:
    sizes = {"train": 1, "val": 1, "val_signal": 1, "test_background": 1, "test_signal": 1}
    assert LHCODataModule(sizes=sizes).transform.modes == ("log", "standard", "standard")
    assert LHCODataModule(sizes=sizes, particles={"frame": "absolute"}).transform.modes == PARTICLE_SCALING


def test_file_events_are_prepared_as_the_splits_and_mjj_uses_accepted_absolute_particles(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    particles = np.zeros((120, 700, 3), np.float32)
    particles[:, :100] = wide_events(120, seed=5)  # in no order, padding mixed in: the reader sorts by pT
    labels = (rng.random(120) < 0.3).astype(int)
    path = write_events(tmp_path / "events.h5", particles, labels, chunk_size=37)
    sizes = {"train": 40, "val": 10, "val_signal": 10, "test_background": 20, "test_signal": 10}
    dm = LHCODataModule(source="files", path=str(path), sizes=sizes, max_particles=64, chunk_size=25,
                        cache_dir=str(tmp_path / "cache"))  # fmt: skip
    dm.setup()
    raw, raw_labels = next(iter_events(path, 200))
    background, signal = raw[raw_labels == 0], raw[raw_labels == 1]
    prep = ParticlePreparation()
    seen = accept(background[:70], 2.5, 0.5)
    np.testing.assert_array_equal(dm.arrays["train"], relative_to_leading_jet(seen, 1.0)[:40, :64])
    # mjj of the test background: from the accepted particles, not from every particle
    mjj = high_level_features(accept(background[50:70], 2.5, 0.5))[:, 0]
    np.testing.assert_allclose(dm.arrays["test_mjj"][:20], mjj, rtol=1e-12)
    assert np.sum(~np.isclose(mjj, high_level_features(background[50:70])[:, 0], rtol=1e-9)) >= 10
    # the file read for scoring (file_samples) gives the split's rows for the same events
    streamed = np.concatenate([x for x, _ in dm.file_samples(path, 30)])
    np.testing.assert_array_equal(streamed[raw_labels == 0][:40], dm.arrays["train"])
    np.testing.assert_array_equal(streamed[raw_labels == 1][:10], dm.arrays["val_signal"])
    expected = model_particles(detector_view(signal[:10], prep), prep, 1.0)[:, :64]
    np.testing.assert_array_equal(dm.arrays["val_signal"], expected)


def test_generated_events_are_prepared_as_file_events(tmp_path: Path) -> None:
    sizes = {"train": 2, "val": 1, "val_signal": 1, "test_background": 1, "test_signal": 1}
    dm = LHCODataModule(sizes=sizes, n_workers=1, cache_dir=str(tmp_path))
    dm.setup()
    raw, labels = next(iter_events(dm.events_file(), 100))
    files = LHCODataModule(source="files", path=str(dm.events_file()), sizes=sizes,
                           cache_dir=str(tmp_path / "from-file"))  # fmt: skip
    files.setup()
    for key in ("train", "val_signal", "test", "test_mjj"):
        np.testing.assert_array_equal(files.arrays[key], dm.arrays[key])
    signal = raw[labels == 1][0]
    kept = (signal[:, 0] > 0.5) & (np.abs(signal[:, 1]) < 2.5)
    assert 0 < kept.sum() < (signal[:, 0] > 0).sum()  # Pythia's soft and forward particles are cut
    prepared = dm.arrays["val_signal"][0]
    assert (prepared[:, 0] > 0).sum() == kept.sum()
    np.testing.assert_array_equal(prepared[: kept.sum(), 0], np.sort(signal[kept, 0])[::-1])


def test_a_checkpointed_scaling_refuses_other_modes() -> None:
    from anomaly_lab.data.transforms import ParticleScaler

    rng = np.random.default_rng(3)
    x = np.abs(rng.normal(size=(5, 4, 3))).astype(np.float32) + 0.1
    state = ParticleScaler(("log", "standard", "standard")).fit(x).state_dict()
    assert state["modes"] == ["log", "standard", "standard"]
    with pytest.raises(ValueError, match="scaled as"):
        ParticleScaler(("standard", "minmax", "minmax")).load_state_dict(state)
    restored = ParticleScaler(("log", "standard", "standard"))
    restored.load_state_dict(state)
    np.testing.assert_array_equal(restored(x), ParticleScaler(("log", "standard", "standard")).fit(x)(x))
