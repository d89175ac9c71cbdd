"""The built-in generator: Pythia 8 draws p p → W h (W → ℓ ν, h undecayed) in the SM, and the
exact EWdim6 amplitude reweights every event to every benchmark.

Per event, w(θ_b) = w_SM · |A(θ_b)|² / |A(0)|², where w_SM is Pythia's weight normalised so
that its mean is the SM cross section in pb (MadGraph's ``event_norm = average``). With
``shat_bias`` = b, Pythia samples ŝ with an extra (ŝ/GeV²)^b, populating the EFT tails, and
its event weights undo the bias. Pythia's event loop runs per event in Python (Pythia has no
batch API for the process record); the amplitudes run vectorised over the whole job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from goldmine.generate.pythia import configured_pythia
from goldmine.generate.wh_events import amplitudes_from_particles
from goldmine.io.lhe_writer import LHEEvents, LHEInit

__all__ = ["HardProcess", "generate_hard_process", "pythia_hard_process_settings", "reweight"]

log = logging.getLogger(__name__)

#: NNPDF2.3 QCD+QED LO, αs(MZ) = 0.130: Pythia 8's default PDF (PDF:pSet = 13), as LHAPDF id.
PYTHIA_DEFAULT_LHAPDF_ID = 247000
_MB_TO_PB = 1.0e9
_W_DECAYS = {"plus": "24:onPosIfAny = 11 13", "minus": "24:onNegIfAny = 11 13", "both": "24:onIfAny = 11 13"}
_PARTICLES_PER_EVENT = 6  # q, q̄', W, h, ℓ, ν


def pythia_hard_process_settings(beam_energy: float, w_charge: Literal["plus", "minus", "both"]) -> list[str]:
    """Pythia 8 settings for the hard process only: f f̄' → W h, W → e ν or μ ν, h stable."""
    return [
        "Beams:idA = 2212", "Beams:idB = 2212", "Beams:frameType = 2",
        f"Beams:eA = {beam_energy!r}", f"Beams:eB = {beam_energy!r}",
        "HiggsSM:ffbar2HW = on",
        "24:onMode = off", _W_DECAYS[w_charge],
        "25:mayDecay = off",
        "PartonLevel:all = off", "HadronLevel:all = off",
    ]


@dataclass(frozen=True)
class HardProcess:
    """SM-weighted hard events: ``events`` with SM weights in ``events.nominal`` (pb,
    mean = ``cross_section``) and no benchmark weights yet; the SM cross section ± error in pb."""

    events: LHEEvents
    cross_section: float
    cross_section_error: float


def _shat_bias_hook(pythia8: Any, power: float) -> Any:
    class ShatBias(pythia8.UserHooks):
        """Sample with an extra (ŝ/GeV²)^power; Pythia weights events by the inverse."""

        def canBiasSelection(self) -> bool:
            return True

        def biasSelectionBy(self, sigma_process: Any, phase_space: Any, in_event: bool) -> float:
            self.selBias = phase_space.sHat() ** power  # Pythia's weight is 1/selBias
            return self.selBias

    return ShatBias()


def _record(process: Any) -> tuple[list[int], list[int], list[int], list[list[int]], list[list[int]], list[list[float]]]:
    """The hard process of Pythia's process record (entries 3 …) in LHE conventions."""
    entries = [process[index] for index in range(3, process.size())]
    pid = [p.id() for p in entries]
    status = [-1 if p.status() == -21 else 2 if p.status() < 0 else 1 for p in entries]
    mothers = [[max(p.mother1() - 2, 0), max((p.mother2() or p.mother1()) - 2, 0)] for p in entries]
    colours = [[p.col(), p.acol()] for p in entries]
    momenta = [[p.px(), p.py(), p.pz(), p.e(), p.m()] for p in entries]
    return pid, status, mothers, colours, momenta


def generate_hard_process(n_events: int, *, beam_energy: float, w_charge: Literal["plus", "minus", "both"],
                          shat_bias: float, seed: int) -> HardProcess:
    """Run Pythia 8 for ``n_events`` accepted hard processes (SM weights)."""
    import pythia8mc

    pythia = configured_pythia(pythia_hard_process_settings(beam_energy, w_charge), seed)
    hook = _shat_bias_hook(pythia8mc, shat_bias) if shat_bias else None
    if hook is not None:
        pythia.setUserHooksPtr(hook)
    if not pythia.init():
        raise RuntimeError("Pythia 8 failed to initialise the hard process f fbar' -> W h")

    rows: list[tuple] = []
    pythia_weights, scales, alpha_qed, alpha_qcd = (np.empty(n_events) for _ in range(4))
    while len(rows) < n_events:
        if not pythia.next():
            continue
        info = pythia.infoPython()
        index = len(rows)
        rows.append(_record(pythia.process))
        pythia_weights[index], scales[index] = info.weight(), np.sqrt(info.Q2Fac())
        alpha_qed[index], alpha_qcd[index] = info.alphaEM(), info.alphaS()
    info = pythia.infoPython()
    # Pythia's σ includes the h "open fraction" though h is kept stable here: undo it.
    higgs_open_fraction = pythia.particleData.resOpenFrac(25, 0, 0)
    cross_section = info.sigmaGen() * _MB_TO_PB / higgs_open_fraction
    cross_section_error = info.sigmaErr() * _MB_TO_PB / higgs_open_fraction

    pid, status, mothers, colours, momenta = (np.array([row[k] for row in rows]) for k in range(5))
    if pid.shape != (n_events, _PARTICLES_PER_EVENT):
        raise RuntimeError(f"Pythia's hard process has shape {pid.shape}, expected ({n_events}, {_PARTICLES_PER_EVENT})")
    nominal = cross_section * pythia_weights / pythia_weights.mean()
    events = LHEEvents(pid, status, mothers, colours, momenta, scales, alpha_qed, alpha_qcd, nominal,
                       np.empty((n_events, 0)))
    log.info("Pythia 8 hard process: %d events, sigma(SM) = %.5g +- %.2g pb", n_events, cross_section, cross_section_error)
    return HardProcess(events, cross_section, cross_section_error)


def reweight(events: LHEEvents, lha_theta: np.ndarray, sampling: int) -> LHEEvents:
    """Weights at every benchmark from SM-weighted events.

    ``lha_theta`` (B, 2): (CWL2, CPWL2) in TeV⁻² of each benchmark; the nominal weight
    becomes the weight at benchmark index ``sampling``.
    """
    lhe_momenta = events.momenta[..., [3, 0, 1, 2]]  # (E, px, py, pz)
    amplitudes = amplitudes_from_particles(events.pid, events.status, lhe_momenta, source="Pythia 8 hard process")
    ratios = amplitudes.squared(lha_theta) / amplitudes.squared(np.zeros(2))  # (B, n)
    weights = (events.nominal * ratios).T
    return LHEEvents(events.pid, events.status, events.mothers, events.colours, events.momenta, events.scale,
                     events.alpha_qed, events.alpha_qcd, weights[:, sampling].copy(), weights)


def lhe_init(beam_energy: float, cross_section: float, cross_section_error: float) -> LHEInit:
    """The ``<init>`` block of a built-in job."""
    return LHEInit((2212, 2212), (beam_energy, beam_energy), PYTHIA_DEFAULT_LHAPDF_ID, 1, cross_section,
                   cross_section_error)
