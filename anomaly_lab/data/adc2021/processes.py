"""What the ADC2021 generator makes: the Standard Model cocktail and the four signals as Pythia 8 settings, the
cocktail's fractions, and the detector (cuts, resolution) of `objects.py`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from anomaly_lab.data.adc2021.objects import ObjectCuts, Smearing
from anomaly_lab.data.pythia import common_settings

BACKGROUNDS = ("W", "QCD", "Z", "ttbar")
SIGNALS = ("Ato4l", "leptoquark", "hToTauTau", "hChToTauNu")
# the settings only the cocktail's file depends on, and the one each signal's file depends on
COCKTAIL_SETTINGS = ("w_fraction", "qcd_fraction", "z_fraction", "ttbar_fraction", "qcd_pthat_min", "z_mass_window")
SIGNAL_MASSES = {"Ato4l": "a_mass", "leptoquark": "lq_mass", "hToTauTau": "h_mass", "hChToTauNu": "hch_mass"}
PROCESSES = BACKGROUNDS + SIGNALS  # a process's index here seeds its tasks: never reorder
A_ID, LQ_ID, H_ID, HCH_ID = 36, 42, 25, 37


@dataclass(frozen=True)
class Adc2021Physics:
    """What is generated: beams, the cocktail, the signal masses, and the detector (cuts, resolution).

    Cocktail fractions are of filtered events, normalised to sum to one. The paper's are W 59.2 %, QCD 33.8 %,
    Z 6.7 %, ttbar 0.3 %; W, Z and ttbar keep its ratios here, and QCD multijet is off by default. Measured on this
    machine: none of 12 000 `HardQCD:all` events with pTHat > 20 GeV
    has an isolated e or mu above 23 GeV (3 leptons above 23 GeV, relative isolation 0.23 and more against the cut
    0.15), nor any of 4 000 bbbar + ccbar events (7 such leptons, isolation 0.47 and more): under 2.5e-4 filtered
    events per generated event, so under 0.03 per core-second at the 74-99 generated events per core-second of the
    other processes. We take the paper's QCD share to come from its Delphes detector
    simulation (fake leptons, its own isolation under pileup), which this generator-level detector does not model.
    Setting `qcd_fraction` generates heavy-flavour QCD above `qcd_pthat_min`; a task stops with an error once its
    filter efficiency is measured below `min_efficiency`.
    """

    sqrt_s: float = 13000.0
    mpi: bool = True
    w_fraction: float = 0.592 / 0.662
    qcd_fraction: float = 0.0
    z_fraction: float = 0.067 / 0.662
    ttbar_fraction: float = 0.003 / 0.662
    qcd_pthat_min: float = 30.0
    z_mass_window: tuple[float, float] = (60.0, 120.0)  # Z/gamma* mHat: lower masses rarely make a 23 GeV lepton
    a_mass: float = 50.0
    lq_mass: float = 80.0
    h_mass: float = 60.0
    hch_mass: float = 60.0
    cuts: ObjectCuts = field(default_factory=ObjectCuts)
    smearing: Smearing = field(default_factory=Smearing)
    min_efficiency: float = 1e-3  # about 0.1 filtered events per core-second

    def __post_init__(self) -> None:
        # a Hydra config gives the nested settings as mappings and the window as a list
        for name, kind in (("cuts", ObjectCuts), ("smearing", Smearing)):
            if isinstance(getattr(self, name), Mapping):
                object.__setattr__(self, name, kind(**getattr(self, name)))
        object.__setattr__(self, "z_mass_window", tuple(float(m) for m in self.z_mass_window))
        if min(self.fractions().values()) < 0 or sum(self.fractions().values()) <= 0:
            raise ValueError(f"ADC2021 cocktail fractions: expected >= 0 with a positive sum, got {self.fractions()}")

    def fractions(self) -> dict[str, float]:
        """The cocktail's fraction per background process, as given (not normalised)."""
        return {"W": self.w_fraction, "QCD": self.qcd_fraction, "Z": self.z_fraction, "ttbar": self.ttbar_fraction}

    def pythia_settings(self, process: str, seed: int) -> list[str]:
        """Pythia settings for one process and one task's seed."""
        if process not in PROCESSES:
            raise ValueError(f"ADC2021 process: expected one of {PROCESSES}, got {process!r}")
        return common_settings(self.sqrt_s, self.mpi, seed) + self._process_settings(process)

    def _process_settings(self, process: str) -> list[str]:
        lo, hi = self.z_mass_window
        z_to_leptons = ["23:onMode = off", "23:onIfAny = 11 13"]
        match process:
            case "W":  # W -> hadrons almost never gives an isolated 23 GeV lepton: leptonic decays only
                return ["WeakSingleBoson:ffbar2W = on", "24:onMode = off", "24:onIfAny = 11 13 15"]
            case "QCD":
                return ["HardQCD:hardbbbar = on", "HardQCD:hardccbar = on",
                        f"PhaseSpace:pTHatMin = {self.qcd_pthat_min}"]  # fmt: skip
            case "Z":
                return ["WeakSingleBoson:ffbar2gmZ = on", "23:onMode = off", "23:onIfAny = 11 13 15",
                        f"PhaseSpace:mHatMin = {lo}", f"PhaseSpace:mHatMax = {hi}"]  # fmt: skip
            case "ttbar":  # all decays
                return ["Top:gg2ttbar = on", "Top:qqbar2ttbar = on"]
            case "Ato4l":  # gg -> A (CP-odd), A -> Z* Z*, each Z* -> ee or mumu; A3 has no ZZ coupling by default
                return ["Higgs:useBSM = on", "HiggsBSM:gg2A3 = on", "HiggsA3:coup2Z = 1.0", *_mass(A_ID, self.a_mass),
                        f"{A_ID}:onMode = off", f"{A_ID}:onIfMatch = 23 23", *z_to_leptons]  # fmt: skip
            case "leptoquark":  # pair production; LQ -> b tau+ makes the LQ charge +2/3 (chargeType in e/3)
                return ["LeptoQuark:gg2LQLQbar = on", "LeptoQuark:qqbar2LQLQbar = on", *_mass(LQ_ID, self.lq_mass),
                        f"{LQ_ID}:chargeType = 2", f"{LQ_ID}:oneChannel = 1 1.0 0 5 -15"]  # fmt: skip
            case "hToTauTau":  # gluon fusion of a light SM-like Higgs
                return ["HiggsSM:gg2H = on", *_mass(H_ID, self.h_mass), f"{H_ID}:onMode = off",
                        f"{H_ID}:onIfMatch = 15 -15"]  # fmt: skip
            case _:  # hChToTauNu: Drell-Yan pair production, f fbar -> gamma*/Z -> H+ H-, both H+- -> tau nu
                return ["Higgs:useBSM = on", "HiggsBSM:ffbar2H+H- = on", *_mass(HCH_ID, self.hch_mass),
                        f"{HCH_ID}:onMode = off", f"{HCH_ID}:onIfMatch = 15 16"]  # fmt: skip


def _mass(pid: int, mass: float) -> list[str]:
    """Pole mass and a Breit-Wigner range that admits it (the defaults of some new states start above it)."""
    return [f"{pid}:m0 = {mass}", f"{pid}:mMin = {mass / 2}", f"{pid}:mMax = {mass * 2}"]
