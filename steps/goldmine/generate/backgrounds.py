"""Background processes of the built-in generator: Pythia 8's own matrix elements.

A background does not depend on the parameters θ: every benchmark's weight of an event is
its nominal weight, and its cross section is Pythia's (``sigmaGen``). The processes are
those that matter for the W h → ℓ ν b b̄ analyses goldmine ships; the analysis selection
(one lepton, two b-tags, ...) picks what it keeps from them:

    ttbar_semileptonic_lplus   g g, q q̄ → t t̄; W⁺ → e ν, μ ν and W⁻ → quarks
    ttbar_semileptonic_lminus  the same with the W charges exchanged
    w_jets                     q q̄' → W g and q g → W q', W → e ν or μ ν; b b̄ from the shower
    single_top_t               t-channel q b → q' t, t → W b, W → e ν or μ ν
    single_top_s               s-channel q q̄' → t b̄, t → W b, W → e ν or μ ν

Each process's hard record has a fixed number of entries (the LHE file's), counted with
its resonance decays. ``pt_hat_min`` (Pythia's ``PhaseSpace:pTHatMin``, GeV) spends the
events where a selection looks.
"""

from __future__ import annotations

from dataclasses import dataclass

from goldmine.generate.variations import CouplingOrders

__all__ = ["PROCESSES", "BackgroundProcess", "background_settings"]

_LEPTONIC_W = "24:onIfAny = 11 13"


@dataclass(frozen=True)
class BackgroundProcess:
    """Pythia 8 settings of a process and its decays, the entries of its hard record, and
    its matrix element's powers of the couplings (goldmine.generate.variations)."""

    description: str
    settings: tuple[str, ...]
    particles: int
    orders: CouplingOrders


PROCESSES: dict[str, BackgroundProcess] = {
    "ttbar_semileptonic_lplus": BackgroundProcess(
        "t t̄, W⁺ → e ν or μ ν, W⁻ → quarks",
        ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", "24:onMode = off", "24:onPosIfAny = 11 13",
         "24:onNegIfAny = 1 2 3 4 5"), 12, CouplingOrders(alpha_s=2, alpha_em=0)),
    "ttbar_semileptonic_lminus": BackgroundProcess(
        "t t̄, W⁻ → e ν or μ ν, W⁺ → quarks",
        ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", "24:onMode = off", "24:onNegIfAny = 11 13",
         "24:onPosIfAny = 1 2 3 4 5"), 12, CouplingOrders(alpha_s=2, alpha_em=0)),
    "w_jets": BackgroundProcess(
        "W + one parton, W → e ν or μ ν",
        ("WeakBosonAndParton:qqbar2Wg = on", "WeakBosonAndParton:qg2Wq = on", "24:onMode = off", _LEPTONIC_W), 6,
        CouplingOrders(alpha_s=1, alpha_em=1)),
    "single_top_t": BackgroundProcess(
        "t-channel single top (t and t̄), W → e ν or μ ν",
        ("Top:qq2tq(t:W) = on", "24:onMode = off", _LEPTONIC_W), 8,
        CouplingOrders(alpha_s=0, alpha_em=2)),
    "single_top_s": BackgroundProcess(
        "s-channel single top (t and t̄), W → e ν or μ ν",
        ("Top:ffbar2tqbar(s:W) = on", "24:onMode = off", _LEPTONIC_W), 8,
        CouplingOrders(alpha_s=0, alpha_em=2)),
}


def background_settings(process: str, beam_energy: float, pt_hat_min: float, extra: tuple[str, ...], *,
                        shower: bool) -> list[str]:
    """Pythia 8 settings of one background job: pp beams of ``beam_energy`` GeV each, the
    process, the generation cut, the user's ``extra`` settings (last, so they win); without
    ``shower`` the hard process only."""
    beams = ["Beams:idA = 2212", "Beams:idB = 2212", "Beams:frameType = 2",
             f"Beams:eA = {beam_energy!r}", f"Beams:eB = {beam_energy!r}"]
    levels = [] if shower else ["PartonLevel:all = off", "HadronLevel:all = off"]
    return [*beams, *PROCESSES[process].settings, f"PhaseSpace:pTHatMin = {pt_hat_min!r}", *levels, *extra]
