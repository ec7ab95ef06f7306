"""LHC Olympics R&D data layer: file format, Pythia generator, scaling, jet features and the DataModule."""

from __future__ import annotations

import tracemalloc
from dataclasses import asdict
from pathlib import Path

import fastjet
import numpy as np
import pandas as pd
import pytest

from anomaly_lab.data.lhco.datamodule import LHCODataModule
from anomaly_lab.data.lhco.generator import (
    X_ID,
    Y_ID,
    GenerationPlan,
    LhcoPhysics,
    _generate_task,
    generate_file,
    generation_stats,
)
from anomaly_lab.data.lhco.highlevel import HLF_NAMES, high_level_features
from anomaly_lab.data.lhco.preprocessing import FeatureStandardizer, ParticleScaler
from anomaly_lab.data.lhco.rnd_format import (
    EventWriter,
    LhcoFormatError,
    event_rows,
    iter_events,
    n_events,
    write_events,
)
from anomaly_lab.lhco_bench import run as run_bench
from anomaly_lab.lhco_bench import synthetic_events


def _events(n: int, seed: int = 0, n_real: int = 40) -> np.ndarray:
    """(n, 700, 3) events: `n_real` pT-ordered particles, then zero padding."""
    rng = np.random.default_rng(seed)
    particles = np.zeros((n, 700, 3), np.float32)
    particles[:, :n_real, 0] = np.sort(rng.exponential(50.0, (n, n_real)), axis=1)[:, ::-1] + 1.0
    particles[:, :n_real, 1] = rng.normal(0.0, 1.5, (n, n_real))
    particles[:, :n_real, 2] = rng.uniform(-np.pi, np.pi, (n, n_real))
    return particles


def _dijet(pt: float, eta: float = 0.0) -> np.ndarray:
    """One event of two back-to-back particles (massless, pT `pt`) at +-eta."""
    event = np.zeros((1, 700, 3), np.float32)
    event[0, :2] = [(pt, eta, 0.0), (pt, -eta, np.pi)]
    return event


def test_writer_round_trips_through_pandas(tmp_path: Path) -> None:
    particles, labels = _events(50), np.arange(50) % 2
    path = write_events(tmp_path / "events.h5", particles, labels, chunk_size=16)
    frame = pd.read_hdf(path, "df")
    expected = pd.DataFrame(event_rows(particles, labels), columns=range(2101))
    pd.testing.assert_frame_equal(frame, expected)
    assert frame.iloc[:, :3].to_numpy().tolist() == particles[:, 0].astype(np.float64).tolist()  # p0: pT, eta, phi
    assert pd.read_hdf(path, "df", start=10, stop=12).index.tolist() == [10, 11]
    # a file pandas wrote itself (the public file's layout) and a black box read back the same way
    pd.DataFrame(event_rows(particles, labels)).to_hdf(tmp_path / "pandas.h5", key="df", format="fixed")
    (back, back_labels), *_ = iter_events(tmp_path / "pandas.h5", chunk_size=50)
    assert np.array_equal(back, particles) and np.array_equal(back_labels, labels)
    write_events(tmp_path / "box.h5", particles)
    assert pd.read_hdf(tmp_path / "box.h5", "df").shape == (50, 2100)
    assert all(lab is None for _, lab in iter_events(tmp_path / "box.h5", chunk_size=20))
    # other pandas layouts are read through pandas: "table" format, and a label column of its own dtype
    frame.to_hdf(tmp_path / "table.h5", key="df", format="table")
    frame.astype({2100: np.int8}).to_hdf(tmp_path / "mixed.h5", key="df", format="fixed")
    for name in ("table.h5", "mixed.h5"):
        chunks = list(iter_events(tmp_path / name, chunk_size=20))
        assert np.array_equal(np.concatenate([p for p, _ in chunks]), particles)
        assert np.array_equal(np.concatenate([lab for _, lab in chunks]), labels)
    # PyTables filters h5py cannot decode (blosc) are read through PyTables
    write_events(tmp_path / "blosc.h5", particles, labels, complib="blosc:lz4")
    assert np.array_equal(np.concatenate([p for p, _ in iter_events(tmp_path / "blosc.h5", 7)]), particles)
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_reader_streams_chunks_with_bounded_memory(tmp_path: Path) -> None:
    particles = _events(2000, n_real=300)
    labels = np.arange(2000) % 3 == 0
    path = write_events(tmp_path / "big.h5", particles, labels.astype(int), chunk_size=500)
    file_bytes = 2000 * 2101 * 8
    chunk_bytes = 100 * 2101 * 8
    tracemalloc.start()
    try:
        sizes, first = [], None
        for p, lab in iter_events(path, chunk_size=100):
            sizes.append(len(p))
            first = first if first is not None else (p.copy(), lab.copy())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sizes == [100] * 20 and n_events(path) == 2000
    assert np.array_equal(first[0], particles[:100]) and np.array_equal(first[1], labels[:100])
    assert first[0].dtype == np.float32 and first[0].shape == (100, 700, 3)
    assert peak < 6 * chunk_bytes < file_bytes / 3, f"peak {peak / 1e6:.1f} MB for {file_bytes / 1e6:.0f} MB of rows"


def test_bad_file_gives_one_line_error(tmp_path: Path) -> None:
    cases = {}
    cases["no such file"] = tmp_path / "missing.h5"
    (tmp_path / "text.h5").write_text("not hdf5")
    cases["not a pandas HDF5 file"] = tmp_path / "text.h5"
    pd.DataFrame(np.zeros((3, 2101))).to_hdf(tmp_path / "other_key.h5", key="events")
    cases["no key 'df'"] = tmp_path / "other_key.h5"
    pd.DataFrame(np.zeros((3, 2102))).to_hdf(tmp_path / "columns.h5", key="df")
    cases["has 2102 columns, expected 2101 columns"] = tmp_path / "columns.h5"
    for expected, path in cases.items():
        with pytest.raises(LhcoFormatError) as err:
            next(iter_events(path))
        message = str(err.value)
        assert expected in message and str(path) in message and "\n" not in message


def test_scaler_fitted_on_real_particles_only_keeps_padding_zero() -> None:
    train = _events(30, n_real=20)
    scaler = ParticleScaler().fit(train)
    real = train[..., 0] > 0
    assert scaler.state["pt_mean"] == pytest.approx(train[..., 0][real].mean(), rel=1e-6)
    assert scaler.state["eta_min"] == pytest.approx(train[..., 1][real].min())  # padding's eta = 0 would win else
    out = scaler(train)
    assert out.shape == (30, 700, 4) and out.dtype == np.float32
    assert np.all(out[:, 20:] == 0) and np.array_equal(out[..., 3], real.astype(np.float32))
    assert out[..., 0][real].mean() == pytest.approx(0.0, abs=1e-4)
    assert out[..., 1][real].min() == pytest.approx(0.0, abs=1e-6) and out[..., 1][real].max() == pytest.approx(1.0)
    restored = ParticleScaler()
    restored.load_state_dict(scaler.state_dict())
    assert np.array_equal(restored(train), out)
    features = np.random.default_rng(1).normal([3000.0, 200.0, 0.5], [400.0, 100.0, 0.1], (200, 3))
    standard = FeatureStandardizer().fit(features)(features)
    assert np.allclose(standard.mean(axis=0), 0, atol=1e-5) and np.allclose(standard.std(axis=0), 1, atol=1e-4)


def _leading_jet(event: np.ndarray) -> fastjet.PseudoJet:
    real = event[event[:, 0] > 0].astype(np.float64)
    pt, eta, phi = real.T
    pjs = [fastjet.PseudoJet(*v) for v in zip(pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta),
                                               strict=True)]  # fmt: skip
    return fastjet.sorted_by_pt(fastjet.ClusterSequence(pjs, fastjet.JetDefinition(fastjet.antikt_algorithm, 1.0))
                                .inclusive_jets())[0]  # fmt: skip


def test_generator_is_seeded_and_triggers() -> None:
    physics = asdict(LhcoPhysics())
    first, tried, _ = _generate_task(("background", 3, 4242, physics))
    again, _, _ = _generate_task(("background", 3, 4242, physics))
    other, _, _ = _generate_task(("background", 3, 4243, physics))
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert tried >= 3 and first.shape == (3, 700, 3)
    for event in first:
        jet = _leading_jet(event)  # FastJet's classic interface: independent of the generator's vectorised trigger
        assert jet.pt() > 1200.0 and abs(jet.eta()) < 2.5
        pt = event[:, 0]
        assert np.all(np.diff(pt[pt > 0]) <= 0) and np.all(pt[np.count_nonzero(pt) :] == 0)


def test_wprime_of_both_charges_decays_to_x_and_y() -> None:
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)
    for s in [*LhcoPhysics().pythia_settings("signal", 7), "PartonLevel:all = off", "HadronLevel:all = off"]:
        assert pythia.readString(s)
    assert pythia.init()
    seen, masses = set(), []
    for _ in range(60):
        assert pythia.next()
        w = next(p for p in pythia.process if abs(p.id()) == 34)
        seen.add((w.id(), tuple(sorted(pythia.process[d].id() for d in w.daughterList()))))
        masses.append(w.m())
    assert seen == {(34, (Y_ID, X_ID)), (-34, (-X_ID, Y_ID))}  # charge: W'+ -> X+ Y0, W'- -> X- Y0
    assert min(masses) >= 3150 and max(masses) <= 3850


def test_signal_events_have_mjj_near_wprime() -> None:
    events, _, _ = _generate_task(("signal", 4, 99, asdict(LhcoPhysics())))
    hlf = high_level_features(events)
    assert hlf.shape == (4, len(HLF_NAMES))
    assert 3150 < np.median(hlf[:, 0]) < 3850
    assert np.all(hlf[:, 1] >= hlf[:, 2])  # j1 is the heavier jet


def test_highlevel_features_known_event() -> None:
    # two back-to-back massless particles, each its own jet: mjj = 2E, jet masses and tau21 zero
    mjj, mj1, mj2, t1, t2 = high_level_features(_dijet(1500.0, eta=0.5))[0]
    assert mjj == pytest.approx(2 * 1500.0 * np.cosh(0.5), rel=1e-6) and mj1 == mj2 == t1 == t2 == 0.0
    # a two-prong jet (pT 300 at phi = 0 and 0.4, opposite a single particle): m = 2 sqrt(pT1 pT2) sin(dphi / 2),
    # one exclusive-kT axis halfway (tau1 = 300 * 0.2 * 2), two axes on the prongs (tau2 = 0)
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
    # masses ordered: the jet with the larger mass is j1 even when it has the lower pT
    event = _dijet(1000.0)
    event[0, 1:3] = [(1200.0, 0.0, np.pi), (50.0, 0.3, 0.0)]  # the massive jet (pT ~1050) is the softer one
    _, mj1, mj2, _, _ = high_level_features(event)[0]
    assert mj1 == pytest.approx(np.sqrt(2 * 1000.0 * 50.0 * (np.cosh(0.3) - 1)), rel=1e-5) and mj2 == 0.0


def test_generated_file_is_cached_and_same_for_any_worker_count(tmp_path: Path) -> None:
    plan = GenerationPlan(n_background=2, n_signal=2, seed=5, task_size=1)
    serial = generate_file(plan, tmp_path / "one", n_workers=1)
    parallel = generate_file(plan, tmp_path / "two", n_workers=2)
    assert serial.name == parallel.name
    (a, la), (b, lb) = next(iter_events(serial)), next(iter_events(parallel))
    assert np.array_equal(a, b) and np.array_equal(la, lb) and sorted(la.tolist()) == [0, 0, 1, 1]
    mtime = serial.stat().st_mtime_ns
    assert generate_file(plan, tmp_path / "one", n_workers=1).stat().st_mtime_ns == mtime
    stats = generation_stats(serial)
    assert stats["background"]["events"] == 2 and stats["signal"]["events_per_core_second"] > 0


def _labelled_file(path: Path, n_bg: int, n_sig: int) -> Path:
    """Background events carry eta > 0 in every real slot, signal eta < 0, mixed in one file."""
    bg, sig = _events(n_bg, 1), _events(n_sig, 2)
    bg[..., 1], sig[..., 1] = np.abs(bg[..., 1]) + 0.01, -np.abs(sig[..., 1]) - 0.01
    bg[bg[..., 0] == 0], sig[sig[..., 0] == 0] = 0.0, 0.0
    particles, labels = np.concatenate([bg, sig]), np.r_[np.zeros(n_bg, int), np.ones(n_sig, int)]
    order = np.random.default_rng(0).permutation(len(labels))
    return write_events(path, particles[order], labels[order], chunk_size=37)


def test_datamodule_builds_splits_and_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _labelled_file(tmp_path / "events_anomalydetection.h5", 120, 40)
    kw = dict(source="files", path=str(path), n_train=50, n_val=20, n_val_signal=10, n_test_background=30,
              cache_dir=str(tmp_path / "cache"), chunk_size=25, max_particles=64)  # fmt: skip
    dm = LHCODataModule(test_signal_fraction=0.25, **kw)  # 30 * 0.25 / 0.75 = 10 signal events in the test
    dm.setup()
    a = dm.arrays
    assert a["train"].shape == (50, 64, 3) and a["train"].dtype == np.float32
    real = a["train"][..., 0] > 0
    assert np.all(a["train"][..., 1][real] > 0) and np.all(a["val"][..., 1][a["val"][..., 0] > 0] > 0)
    assert np.all(a["val_signal"][..., 1][a["val_signal"][..., 0] > 0] < 0)
    assert a["test_labels"].tolist() == [0] * 30 + [1] * 10 and a["test_mjj"].shape == (40,)
    assert np.all(a["test_mjj"] > 0)
    x = dm.inputs("train")
    assert tuple(x.shape) == (50, 64, 4) and np.array_equal(x[..., 3].numpy(), real.astype(np.float32))
    assert any("test 30 background + 10 signal" in line for line in dm.describe())

    # the split arrays come from the cache once built: the events file is not read again
    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("read the events file despite the cache")

    monkeypatch.setattr("anomaly_lab.data.lhco.datamodule.iter_events", no_reading)
    again = LHCODataModule(test_signal_fraction=0.25, **kw)
    again.setup()
    assert all(np.array_equal(again.arrays[k], v) for k, v in a.items())
    again.load_state_dict(dm.state_dict())
    assert np.array_equal(again.inputs("val").numpy(), dm.inputs("val").numpy())
    monkeypatch.undo()
    hlf = LHCODataModule(representation="hlf", n_test_signal=5, **kw)
    hlf.setup()
    assert tuple(hlf.inputs("test").shape) == (35, 5)
    short = LHCODataModule(**{**kw, "n_train": 500, "cache_dir": str(tmp_path / "c2")})
    with pytest.raises(ValueError, match="too few events"):
        short.setup()


def test_datamodule_generates_events_with_debug_sizes(tmp_path: Path) -> None:
    dm = LHCODataModule(n_train=3, n_val=1, n_val_signal=1, n_test_background=1, n_test_signal=1, n_workers=1,
                        cache_dir=str(tmp_path))  # fmt: skip
    dm.setup()
    assert dm.arrays["test_labels"].tolist() == [0, 1] and dm.arrays["test_mjj"][1] > 2500
    assert tuple(dm.inputs("val_signal").shape) == (1, 700, 4)


def test_reader_benchmark_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\n## Other study\n\nkept\n")
    run_bench(300, 100, out, str(tmp_path), fresh_process=False)
    text = out.read_text()
    assert "## Other study" in text and "## LHC Olympics reader" in text
    rows = [line for line in text.splitlines() if line.startswith("| ours") or line.startswith("| h5py")]
    assert len(rows) == 3 and all(float(r.split("|")[2]) > 0 for r in rows)
    assert list(tmp_path.iterdir()) == [out]  # the synthetic file is gone
    particles, labels = synthetic_events(100, np.random.default_rng(0))
    assert particles.shape == (100, 700, 3) and set(np.unique(labels)) <= {0, 1}
    with EventWriter(tmp_path / "x.h5", labelled=False) as w, pytest.raises(ValueError, match="not expected"):
        w.append(particles, labels)


@pytest.mark.parametrize("config", ["lhco", "lhco_hlf"])
def test_debug_smoke_sizes_reach_the_lhco_datamodule(config: str) -> None:
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    from anomaly_lab.train import CONFIG_DIR, apply_debug

    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = apply_debug(compose(config_name="train", overrides=[f"data={config}", "debug=smoke"]), [])
    dm = instantiate(cfg.data)
    assert isinstance(dm, LHCODataModule) and dm.representation == ("hlf" if config == "lhco_hlf" else "particles")
    assert dm.counts == {"train": 256, "val": 128, "test_background": 128, "val_signal": 64, "test_signal": 128}
    assert dm.batch_size == 64 and dm.physics == LhcoPhysics()
