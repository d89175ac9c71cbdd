"""The built-in generator: Pythia 8 draws p p → W h (W → ℓ ν) as at a benchmark θ_s, and
the exact EWdim6 amplitude reweights every event to every benchmark.

A job sampled at θ_s has its events distributed as p(x | θ_s) (:mod:`goldmine.generate.wh_sampling`:
Pythia's SM cross section multiplied by the decay-averaged |A(θ_s)|²/|A(0)|², R̄_s, and the W
decay redrawn). Per event, w(θ) = w_s · |A(θ)|² / |A(θ_s)|², where w_s is the weight at θ_s:
Pythia's σ over the events (MadGraph's ``event_norm = average``) times R̄_s/R̄_table (the
table that Pythia's trial points saw, ≈ 1) and, with MadGraph's electroweak inputs
(:mod:`goldmine.generate.electroweak`), their coupling factor. With ``shat_bias`` = b,
Pythia samples ŝ with an extra (ŝ/GeV²)^b, and its event weights undo that bias.

One Pythia run makes each event whole: a user hook records the hard process (for the LHE
file and the amplitudes; h undecayed, as in MadGraph's events) and, with a shower, Pythia
goes on to h → b b̄, showers and hadronisation, whose particles go to a HepMC writer
process. The weights need σ, known after the last event: the amplitudes run vectorised over
the whole job at its end, and the HepMC file gets its weights last
(:mod:`goldmine.io.hepmc_file`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from goldmine.generate.electroweak import MadGraphElectroweak
from goldmine.generate.pythia import batch_size, configured_pythia, event_columns
from goldmine.generate.variations import CouplingOrders, variation_ratios
from goldmine.generate.wh_events import amplitudes_from_particles, wh_momenta_from_particles
from goldmine.generate.wh_sampling import WHDecaySampler, decay_averaged_ratio
from goldmine.io.lhe_writer import LHEEvents, LHEInit
from goldmine.progress import Progress
from goldmine.systematics import Variation

if TYPE_CHECKING:
    from goldmine.generate.hepmc_process import HepMCWriterProcess

__all__ = ["MB_TO_PB", "HardProcess", "generate_events", "lhe_events", "match_showered_events", "pythia_settings",
           "reweight", "run_pythia", "with_true_weights"]

log = logging.getLogger(__name__)

#: NNPDF2.3 QCD+QED LO, αs(MZ) = 0.130: Pythia 8's default PDF (PDF:pSet = 13), as LHAPDF id.
PYTHIA_DEFAULT_LHAPDF_ID = 247000
MB_TO_PB = 1.0e9
_W_DECAYS = {"plus": "24:onPosIfAny = 11 13", "minus": "24:onNegIfAny = 11 13", "both": "24:onIfAny = 11 13"}
_PARTICLES_PER_EVENT = 6  # q, q̄', h, W, ℓ, ν
_HARD_PROCESS_BATCH = 1000  # events per nextBatch without a shower (no writer to keep fed)
#: q q̄′ → W h at leading order: α_EM², no α_s
WH_COUPLING_ORDERS = CouplingOrders(alpha_s=0, alpha_em=2)


def pythia_settings(beam_energy: float, w_charge: Literal["plus", "minus", "both"], *, shower: bool,
                    electroweak: MadGraphElectroweak | None = None, pt_hat_min: float = 0.0) -> list[str]:
    """Pythia 8 settings: f f̄' → W h, W → e ν or μ ν, pT of the W h pair above ``pt_hat_min``
    GeV; with ``shower``, h → b b̄, showers and hadronisation, else the hard process only, h
    stable; with ``electroweak``, its W and sin²θ_W."""
    process = [*(electroweak.pythia_settings() if electroweak else []), f"PhaseSpace:pTHatMin = {pt_hat_min!r}",
        "Beams:idA = 2212", "Beams:idB = 2212", "Beams:frameType = 2",
        f"Beams:eA = {beam_energy!r}", f"Beams:eB = {beam_energy!r}",
        "HiggsSM:ffbar2HW = on",
        "24:onMode = off", _W_DECAYS[w_charge],
    ]
    if shower:
        return [*process, "25:onMode = off", "25:onIfAny = 5"]
    return [*process, "25:mayDecay = off", "PartonLevel:all = off", "HadronLevel:all = off"]


@dataclass(frozen=True)
class HardProcess:
    """Hard events sampled at θ_s: ``events`` with their weights at θ_s in ``events.nominal``
    (pb, mean = ``cross_section``) and no benchmark weights yet; σ(θ_s) ± error in pb; each
    event's weight ratio (n, V) under V variations (goldmine.systematics)."""

    events: LHEEvents
    cross_section: float
    cross_section_error: float
    variation_ratios: np.ndarray


_Record = tuple[list[int], list[int], list[list[int]], list[list[int]], list[list[float]]]


def _generator_hooks(pythia8: Any, shat_power: float, records: list[_Record], undecayed: tuple[int, ...],
                     sampler: WHDecaySampler | None) -> Any:
    class GeneratorHooks(pythia8.UserHooks):
        """Records every hard process in ``records``; samples with an extra (ŝ/GeV²)^power;
        with a ``sampler``, the process as at its θ (σ multiplied by its decay-averaged
        ratio, the W decay redrawn)."""

        def canBiasSelection(self) -> bool:
            return shat_power != 0.0

        def biasSelectionBy(self, sigma_process: Any, phase_space: Any, in_event: bool) -> float:
            self.selBias = phase_space.sHat() ** shat_power  # Pythia's weight is 1/selBias
            return self.selBias

        def canModifySigma(self) -> bool:
            return sampler is not None

        def multiplySigmaBy(self, sigma_process: Any, phase_space: Any, in_event: bool) -> float:
            # Pythia's σ and sampling follow the product: its σ estimates σ(θ_s) precisely.
            # Particle 3 is the h, 4 the W.
            return sampler.sigma_factor(phase_space.sHat(), phase_space.tHat(), phase_space.m3, phase_space.m4)

        def canVetoProcessLevel(self) -> bool:
            return True

        def doVetoProcessLevel(self, process: Any) -> bool:
            if sampler is not None:
                _redraw_w_decay(process, sampler)
            records.append(_record(process, undecayed))
            return False

    return GeneratorHooks()


def _redraw_w_decay(process: Any, sampler: WHDecaySampler) -> None:
    """Replace the W decay products' momenta in Pythia's process record (q q̄′ in entries
    3 and 4, then h and W) by ones drawn at the sampler's θ; the W momentum is kept."""
    import pythia8mc

    w = next(index for index in range(5, process.size()) if process[index].idAbs() == 24)
    daughters = [process[w].daughter1(), process[w].daughter2()]
    higgs = next(index for index in range(5, process.size()) if process[index].id() == 25)
    quark, antiquark = (3, 4) if process[3].id() > 0 else (4, 3)
    fermion, antifermion = daughters if process[daughters[0]].id() > 0 else daughters[::-1]
    momentum = lambda index: np.array([[process[index].e(), process[index].px(), process[index].py(),
                                        process[index].pz()]])
    new_fermion, new_antifermion = sampler.redraw(momentum(quark), momentum(antiquark), momentum(higgs), momentum(w))
    for index, (energy, px, py, pz) in ((fermion, new_fermion[0]), (antifermion, new_antifermion[0])):
        process[index].p(pythia8mc.Vec4(px, py, pz, energy))


def _record(process: Any, undecayed: tuple[int, ...]) -> _Record:
    """The hard process of Pythia's process record (entries 3 …) in LHE conventions, without
    the decay products of the ``undecayed`` particle ids (the signal's h: its decay is the
    shower's, as for MadGraph's events), which then count as final."""
    entries = [process[index] for index in range(3, process.size())]
    entries = [p for p in entries if process[p.mother1()].id() not in undecayed]
    pid = [p.id() for p in entries]
    status = [-1 if p.status() == -21 else 1 if p.status() > 0 or p.id() in undecayed else 2 for p in entries]
    mothers = [[max(p.mother1() - 2, 0), max((p.mother2() or p.mother1()) - 2, 0)] for p in entries]
    colours = [[p.col(), p.acol()] for p in entries]
    momenta = [[p.px(), p.py(), p.pz(), p.e(), p.m()] for p in entries]
    return pid, status, mothers, colours, momenta


def match_showered_events(incoming_pz: np.ndarray, recorded_pz: np.ndarray) -> np.ndarray:
    """Which recorded hard process each showered event of a batch grew from.

    ``incoming_pz`` (n, 2): p_z of the two incoming partons of each event (entries 3 and 4
    of Pythia's event record); ``recorded_pz`` (k ≥ n, 2): the same of the hard processes
    the hook recorded meanwhile. A hard process whose shower failed left no event (rare);
    otherwise k = n and the order is the same. Returns (n,) indices into the records.
    """
    close = lambda a, b: np.isclose(a, b, rtol=1e-9, atol=1e-9).all(axis=-1)
    if len(recorded_pz) == len(incoming_pz) and close(incoming_pz, recorded_pz).all():
        return np.arange(len(incoming_pz))
    indices, record = [], 0
    for event, pz in enumerate(incoming_pz):  # per event only after a failed shower
        while record < len(recorded_pz) and not close(pz, recorded_pz[record]):
            record += 1
        if record == len(recorded_pz):
            raise RuntimeError(f"Pythia's showered event {event} of a batch matches no recorded hard process")
        indices.append(record)
        record += 1
    return np.array(indices, dtype=np.int64)


def _incoming_pz(columns: Any) -> np.ndarray:
    """p_z of each event's incoming partons: particles 2 and 3 after the two beams."""
    starts = np.cumsum(columns.counts) - columns.counts
    return np.column_stack([columns.pz[starts + 2], columns.pz[starts + 3]])


def generate_events(n_events: int, *, beam_energy: float, w_charge: Literal["plus", "minus", "both"],
                    shat_bias: float, seed: int, hepmc: HepMCWriterProcess | None = None,
                    variations: Sequence[Variation] = (), sampling_theta: np.ndarray | None = None,
                    electroweak: MadGraphElectroweak | None = MadGraphElectroweak(),
                    pt_hat_min: float = 0.0) -> HardProcess:
    """Run Pythia 8 for ``n_events`` events and return their hard processes with their
    weights at ``sampling_theta`` ((CWL2, CPWL2), TeV⁻²; default the SM), as which they are
    distributed, and their weight ratios under the ``variations``; ``electroweak``: whose
    couplings (default MadGraph's inputs; None: Pythia's own); ``pt_hat_min``: the minimum
    pT of the hard process, GeV; with ``hepmc``, the events
    are showered and hadronised, their particles put to ``hepmc`` batch by batch (its
    weights are the caller's to give)."""
    settings = pythia_settings(beam_energy, w_charge, shower=hepmc is not None, electroweak=electroweak,
                               pt_hat_min=pt_hat_min)
    sampler = None
    if sampling_theta is not None and np.any(np.asarray(sampling_theta) != 0):
        sampler = WHDecaySampler(sampling_theta, np.random.default_rng([seed, 24]), max_mass=2 * beam_energy)
    kept, info, pythia = run_pythia(settings, n_events, seed=seed, shat_bias=shat_bias, hepmc=hepmc, undecayed=(25,),
                                    process_name="f fbar' -> W h", sampler=sampler)
    # Pythia's σ includes the h "open fraction" (h → b b̄ with the shower): the LHE's h is undecayed.
    higgs_open_fraction, run_info = pythia.particleData.resOpenFrac(25, 0, 0), pythia.infoPython()
    cross_section = run_info.sigmaGen() * MB_TO_PB / higgs_open_fraction
    cross_section_error = run_info.sigmaErr() * MB_TO_PB / higgs_open_fraction
    factors = np.ones(len(kept))
    if electroweak is not None:
        factors *= electroweak.weight_factors(pythia, info["alphaEM"], info["id1"], info["id2"], open_lepton_channels=2)
    if sampler is not None:
        factors *= _exact_over_tabulated_ratio(kept, sampler)
    rescale = float(np.mean(info["weights"] * factors) / np.mean(info["weights"]))
    cross_section, cross_section_error = cross_section * rescale, cross_section_error * rescale
    info = {**info, "weights": info["weights"] * factors}
    events = lhe_events(kept, info, cross_section, _PARTICLES_PER_EVENT)
    ratios = variation_ratios(pythia, info, variations, WH_COUPLING_ORDERS)
    log.info("Pythia 8: %d events, sigma = %.5g +- %.2g pb at the sampling point", n_events, cross_section,
             cross_section_error)
    return HardProcess(events, cross_section, cross_section_error, ratios)


def _exact_over_tabulated_ratio(records: list[_Record], sampler: WHDecaySampler) -> np.ndarray:
    """R̄_s / R̄_table per event (n,): the exact decay-averaged ratio over the tabulated one
    by which Pythia multiplied the event's σ (the same ŝ, t̂ and masses; even in t̂ ↔ û)."""
    pid = np.array([row[0] for row in records])
    status = np.array([row[1] for row in records])
    momenta = np.array([row[4] for row in records])[..., [3, 0, 1, 2]]
    wh = wh_momenta_from_particles(pid, status, momenta, source="Pythia 8 hard process")
    exact = decay_averaged_ratio(wh.quark, wh.antiquark, wh.higgs, wh.w, sampler.theta)
    square = lambda p: p[:, 0] ** 2 - (p[:, 1:] ** 2).sum(axis=1)
    shat, that = square(wh.quark + wh.antiquark), square(wh.quark - wh.higgs)
    m_higgs, m_w = np.sqrt(np.maximum(square(wh.higgs), 0)), np.sqrt(np.maximum(square(wh.w), 0))
    tabulated = np.array([sampler.sigma_factor(*point) for point in zip(shat, that, m_higgs, m_w, strict=True)])
    return exact / tabulated


#: Pythia's per-event information kept from each batch (``nextBatch(...).info``): the weight,
#: Q²_fac and Q²_ren in GeV², α_EM and α_s of the hard process, the incoming partons' PDG
#: ids, momentum fractions and PDFs x f(x, Q²_fac).
INFO_FIELDS = ("weights", "Q2Fac", "Q2Ren", "alphaEM", "alphaS", "id1", "id2", "x1", "x2", "pdf1", "pdf2")


def run_pythia(settings: list[str], n_events: int, *, seed: int, shat_bias: float, hepmc: HepMCWriterProcess | None,
               undecayed: tuple[int, ...], process_name: str,
               sampler: WHDecaySampler | None = None) -> tuple[list[_Record], dict[str, np.ndarray], Any]:
    """Run Pythia 8 with ``settings`` for ``n_events`` events: their hard processes (LHE
    conventions, see :func:`_record`), per event the :data:`INFO_FIELDS` (n,) each, and the
    Pythia instance (for its cross section); with ``hepmc``, showered particles go to it
    batch by batch; with a ``sampler`` (W h only), events sampled at its θ."""
    import pythia8mc

    records: list[_Record] = []
    pythia = configured_pythia(settings, seed)
    hooks = _generator_hooks(pythia8mc, shat_bias, records, undecayed, sampler)  # Pythia holds no Python reference: keep it
    pythia.setUserHooksPtr(hooks)
    if not pythia.init():
        raise RuntimeError(f"Pythia 8 failed to initialise the hard process {process_name}")
    kept: list[_Record] = []
    info: list[dict[str, np.ndarray]] = []
    with Progress(n_events, f"generate {process_name}", "events") as progress:
        while len(kept) < n_events:
            batch_records, batch_info = _next_batch(pythia, records, n_events - len(kept), hepmc)
            kept += batch_records
            info.append(batch_info)
            progress.update(len(batch_records))
    return kept, {field: np.concatenate([batch[field] for batch in info]) for field in INFO_FIELDS}, pythia


def _next_batch(pythia: Any, records: list[_Record], remaining: int,
                hepmc: HepMCWriterProcess | None) -> tuple[list[_Record], dict[str, np.ndarray]]:
    """One nextBatch: the hard processes of its events, and their :data:`INFO_FIELDS`;
    showered particles go to ``hepmc``."""
    import awkward as ak

    asked = batch_size(remaining) if hepmc is not None else min(remaining, _HARD_PROCESS_BATCH)
    batch = pythia.nextBatch(asked, "skip")
    recorded, records[:] = records[:], []
    if len(batch) == 0:
        raise RuntimeError(f"Pythia 8 made none of the {asked} events asked for; see its messages above")
    if hepmc is not None:
        columns, _ = event_columns(batch)
        recorded_pz = np.array([[momenta[0][2], momenta[1][2]] for *_, momenta in recorded]).reshape(-1, 2)
        recorded = [recorded[i] for i in match_showered_events(_incoming_pz(columns), recorded_pz)]
        hepmc.put(columns)
    elif len(batch) != len(recorded):
        raise RuntimeError(f"Pythia returned {len(batch)} hard processes but made {len(recorded)}")
    info = batch.info
    return recorded, {field: ak.to_numpy(info.weights[:, 0] if field == "weights" else info[field])
                      for field in INFO_FIELDS}


def lhe_events(records: list[_Record], info: dict[str, np.ndarray], cross_section: float,
               particles: int) -> LHEEvents:
    """LHE columns of the recorded hard processes of ``particles`` entries each; nominal
    weights with mean ``cross_section``."""
    if any(len(row[0]) != particles for row in records):
        counts = sorted({len(row[0]) for row in records})
        raise RuntimeError(f"Pythia's hard processes have {counts} entries, expected {particles}")
    pid, status, mothers, colours, momenta = (np.array([row[k] for row in records]) for k in range(5))
    n_events = len(records)
    nominal = cross_section * info["weights"] / info["weights"].mean()
    return LHEEvents(pid, status, mothers, colours, momenta, np.sqrt(info["Q2Fac"]), info["alphaEM"],
                     info["alphaS"], nominal, np.empty((n_events, 0)))


def reweight(events: LHEEvents, lha_theta: np.ndarray, sampling: int) -> LHEEvents:
    """Weights at every benchmark, w(θ) = w_s |A(θ)|²/|A(θ_s)|², of events whose weights at
    the sampling benchmark θ_s (index ``sampling``) are ``events.nominal``.

    ``lha_theta`` (B, 2): (CWL2, CPWL2) in TeV⁻² of each benchmark.
    """
    lhe_momenta = events.momenta[..., [3, 0, 1, 2]]  # (E, px, py, pz)
    amplitudes = amplitudes_from_particles(events.pid, events.status, lhe_momenta, source="Pythia 8 hard process")
    ratios = amplitudes.squared(lha_theta) / amplitudes.squared(lha_theta[sampling])  # (B, n)
    weights = (events.nominal * ratios).T
    return LHEEvents(events.pid, events.status, events.mothers, events.colours, events.momenta, events.scale,
                     events.alpha_qed, events.alpha_qcd, weights[:, sampling].copy(), weights)


def with_true_weights(events: LHEEvents, lha_theta: np.ndarray, sampling: int, beam_energy: float) -> LHEEvents:
    """``events`` (reweighted: (n, B) weights at the benchmarks ``lha_theta`` (B, 2), sampled
    at index ``sampling``) with B more weight columns: their true weights, the latent quark side
    and flavours summed over with the generator's own PDF (:func:`goldmine.generate.wh_likelihood.true_weights`)."""
    from goldmine.generate.wh_likelihood import GeneratorPDF, beam_asymmetry, true_weights

    momenta = wh_momenta_from_particles(events.pid, events.status, events.momenta[..., [3, 0, 1, 2]],
                                        source="Pythia 8 hard process")
    w_plus = np.isin(events.pid, (-11, -13)).any(axis=1)  # a positive charged lepton
    rho = beam_asymmetry(momenta, w_plus, GeneratorPDF(), beam_energy)
    true = true_weights(momenta, rho, events.weights, lha_theta, sampling)
    return LHEEvents(events.pid, events.status, events.mothers, events.colours, events.momenta, events.scale,
                     events.alpha_qed, events.alpha_qcd, events.nominal, np.hstack([events.weights, true]))


def lhe_init(beam_energy: float, cross_section: float, cross_section_error: float) -> LHEInit:
    """The ``<init>`` block of a built-in job."""
    return LHEInit((2212, 2212), (beam_energy, beam_energy), PYTHIA_DEFAULT_LHAPDF_ID, 1, cross_section,
                   cross_section_error)
