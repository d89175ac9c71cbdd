"""One generation job, start to finish, for either backend.

Everything is written into a temporary folder beside the output, renamed to the output
only when LHE, HepMC and ``generate.json`` are all complete.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import shutil
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

import numpy as np

from goldmine.errors import ConfigError
from goldmine.generate.card_values import benchmark_card_values
from goldmine.io.atomic import atomic_directory
from goldmine.io.documents import write_json
from goldmine.io.provenance import Provenance
from goldmine.setup import Setup
from goldmine.systematics import Variation, variations

__all__ = ["BackgroundJobSpec", "GenerationJobSpec", "run_background_job", "run_builtin_job",
           "run_madgraph_background_job", "run_madgraph_job"]

log = logging.getLogger(__name__)

LHE_NAME, HEPMC_NAME, SUMMARY_NAME = "events.lhe.gz", "events.hepmc.gz", "generate.json"


@dataclass(frozen=True)
class GenerationJobSpec:
    """One job: ``n_events`` events sampled at ``benchmark`` with ``seed``; GeV per beam."""

    benchmark: str
    seed: int
    n_events: int
    beam_energy: float
    shower: bool


@dataclass(frozen=True)
class BackgroundJobSpec:
    """One background job: ``n_events`` events of the background ``name`` with ``seed``;
    GeV per beam."""

    name: str
    seed: int
    n_events: int
    beam_energy: float
    shower: bool


def _versions(*packages: str) -> dict[str, str]:
    return {package: version(package) for package in ("goldmine", "numpy", *packages)}


def _summary(spec: GenerationJobSpec, backend: str, cross_section: float, error: float, weight_names: list[str],
             showered: int | None, versions: dict[str, str], provenance: Provenance, **extra: Any) -> dict[str, Any]:
    return {
        "backend": backend, "benchmark": spec.benchmark, "seed": spec.seed, "events": spec.n_events,
        "showered_events": showered, "beam_energy_gev": spec.beam_energy,
        "cross_section_pb": {"value": cross_section, "error": error},
        "weight_names": weight_names, **extra, "versions": versions, "provenance": provenance.to_dict(),
    }


def _shower(spec: GenerationJobSpec | BackgroundJobSpec, folder: Path) -> tuple[int | None, dict[str, str]]:
    if not spec.shower:
        return None, {}
    from goldmine.generate.shower import shower_lhe

    result = shower_lhe(folder / LHE_NAME, folder / HEPMC_NAME, seed=spec.seed, n_events=spec.n_events)
    return result.events, {"pythia8mc": version("pythia8mc")}


def _hepmc_writer(spec: GenerationJobSpec | BackgroundJobSpec, path: Path, weight_names: tuple[str, ...]) -> Any:
    """A HepMC writer process for a showered job, else a context that yields None."""
    if not spec.shower:
        return contextlib.nullcontext()
    from goldmine.generate.hepmc_process import HepMCWriterProcess

    return HepMCWriterProcess(path, weight_names)


def run_builtin_job(setup: Setup, spec: GenerationJobSpec, output: Path, *, w_charge: Literal["plus", "minus", "both"],
                    shat_bias: float, provenance: Provenance,
                    electroweak: Literal["madgraph", "pythia"] = "madgraph", pt_hat_min: float = 0.0,
                    true_weights: bool = False) -> dict[str, Any]:
    """Pythia 8 events (hard process, with the shower optional) sampled at the job's
    benchmark, exact reweighting to every benchmark, LHE and HepMC; ``electroweak``: whose
    electroweak inputs (:mod:`goldmine.generate.electroweak`); ``pt_hat_min``: the hard
    process's minimum pT, GeV; with ``true_weights``, the LHE also holds each benchmark's
    true weight (``true:<benchmark>``, the latent variables summed over)."""
    from goldmine.generate.builtin import generate_events, lhe_init, reweight, with_true_weights
    from goldmine.generate.electroweak import MadGraphElectroweak
    from goldmine.generate.shower import NOMINAL_WEIGHT
    from goldmine.io.lhe_weights import TRUE_WEIGHT_PREFIX
    from goldmine.io.lhe_writer import write_lhe
    from goldmine.physics.wh_amplitude import lha_coefficients

    sampling = setup.benchmark_index(spec.benchmark)
    card_values = [benchmark_card_values(setup, name) for name in setup.benchmark_names]
    try:
        lha_theta = np.array([lha_coefficients([(v.block, v.lha_id) for v in values], [v.value for v in values])
                              for values in card_values])
    except ValueError as err:
        raise ConfigError("parameters", f"{err}; use the madgraph backend for other models") from None

    weight_names = (NOMINAL_WEIGHT, *setup.benchmark_names)  # the HepMC weights: the LHE's nominal and <rwgt>
    varied = variations(setup)
    with atomic_directory(output) as folder:
        with _hepmc_writer(spec, folder / HEPMC_NAME, weight_names) as hepmc:
            hard = generate_events(spec.n_events, beam_energy=spec.beam_energy, w_charge=w_charge,
                                   shat_bias=shat_bias, seed=spec.seed, hepmc=hepmc,
                                   variations=tuple(varied.values()), sampling_theta=lha_theta[sampling],
                                   electroweak=MadGraphElectroweak() if electroweak == "madgraph" else None,
                                   pt_hat_min=pt_hat_min)
            events = reweight(hard.events, lha_theta, sampling)  # nuisance benchmarks: at the reference θ
            _vary(setup, events.weights, varied, hard.variation_ratios)
            if hepmc is not None:  # the writer process writes the HepMC file while this one writes the LHE
                hepmc.finish(np.column_stack([events.nominal, events.weights]))
            labels = {**_benchmark_labels(setup), **_variation_labels(varied)}
            lhe_names = tuple(setup.benchmark_names)
            per_benchmark = dict(zip(setup.benchmark_names, events.weights.mean(axis=0).tolist(), strict=True))
            if true_weights:
                events = with_true_weights(events, lha_theta, sampling, spec.beam_energy)
                lhe_names += tuple(TRUE_WEIGHT_PREFIX + name for name in setup.benchmark_names)
                labels.update({TRUE_WEIGHT_PREFIX + name: f"{labels[name]}, latent variables summed over"
                               for name in setup.benchmark_names})
            cross_section = float(events.nominal.mean())
            relative_error = np.hypot(hard.cross_section_error / hard.cross_section,
                                      events.nominal.std() / np.sqrt(len(events.nominal)) / cross_section)
            write_lhe(folder / LHE_NAME, lhe_init(spec.beam_energy, cross_section, cross_section * relative_error),
                      events, lhe_names, weight_labels=labels,
                      comment=f"goldmine builtin generator: Pythia 8 f fbar' -> W h (W charge {w_charge}), exact "
                              f"EWdim6 reweighting; sampling benchmark {spec.benchmark}, seed {spec.seed}")
        showered = spec.n_events if spec.shower else None
        document = _summary(spec, "builtin", cross_section, cross_section * relative_error,
                            list(weight_names), showered,
                            _versions("pythia8mc"), provenance,
                            benchmark_cross_sections_pb=per_benchmark, w_charge=w_charge, shat_bias=shat_bias,
                            electroweak=electroweak, pt_hat_min_gev=pt_hat_min, true_weights=true_weights)
        write_json(folder / SUMMARY_NAME, document)
    return document


def _vary(setup: Setup, weights: np.ndarray, varied: dict[str, Variation], ratios: np.ndarray) -> None:
    """Multiply the weight columns (n, B) of the nuisance benchmarks ``varied`` by their
    variations' weight ratios (n, V), in place."""
    columns = [setup.benchmark_index(name) for name in varied]
    weights[:, columns] *= ratios


def _benchmark_labels(setup: Setup) -> dict[str, str]:
    return {name: " ".join(f"{p.name}={v:g}" for p, v in zip(setup.parameters, b.values, strict=True))
            for name, b in zip(setup.benchmark_names, setup.benchmarks, strict=True)}


def _variation_labels(varied: dict[str, Variation]) -> dict[str, str]:
    return {name: f"PDF set {v.pdf_set}" if v.pdf_set else
            f"scale variation: mur x {v.renormalization:g}, muf x {v.factorization:g}" for name, v in varied.items()}


def run_madgraph_job(setup: Setup, spec: GenerationJobSpec, output: Path, *, mg5: Any, templates: Any,
                     provenance: Provenance) -> dict[str, Any]:
    """Real MG5_aMC with reweighting to every other benchmark, then the Pythia 8 shower.
    The weights of the nuisance benchmarks (scale variations) come from MadGraph's
    systematics module (:func:`_with_variations`).

    MadGraph's run directory is ``.<output>.mg5`` beside the output: removed after a
    successful job, kept after a failure.
    """
    from goldmine.generate.madgraph import run_madgraph
    from goldmine.io.lhe_writer import DerivedWeight

    output = output.resolve()  # MG5_aMC needs absolute paths (process folder, rwgt_dir)
    sampling_values = benchmark_card_values(setup, spec.benchmark)
    varied = variations(setup)
    others = [(name, benchmark_card_values(setup, name)) for name in setup.benchmark_names
              if name != spec.benchmark and name not in varied]
    run_dir = output.parent / f".{output.name}.mg5"
    with atomic_directory(output) as folder:
        run = run_madgraph(mg5, templates, run_dir, n_events=spec.n_events, seed=spec.seed,
                           beam_energy=spec.beam_energy, parameter_values=sampling_values, sampling=spec.benchmark,
                           other_benchmarks=others, variations=varied)
        reference = setup.benchmark_names[setup.reference_index]
        weights = [DerivedWeight(name, name) for name, _ in others]
        weight_names = ["Weight", *(name for name, _ in others)]
        if varied:
            weight_names += list(varied)
            _with_variations(run, folder / LHE_NAME, weights, None if reference == spec.benchmark else reference,
                             varied, f"goldmine: signal sampled at {spec.benchmark} from MG5_aMC {run.version}, "
                                     f"seed {spec.seed}", _benchmark_labels(setup))
        else:
            shutil.copyfile(run.lhe, folder / LHE_NAME)
        showered, shower_versions = _shower(spec, folder)
        document = _summary(spec, "madgraph", run.cross_section, run.cross_section_error, weight_names, showered,
                            {**_versions(), "mg5_amc": run.version, **shower_versions}, provenance,
                            **_variation_record(run))
        write_json(folder / SUMMARY_NAME, document)
    shutil.rmtree(run_dir, ignore_errors=True)
    return document


def _with_variations(run: Any, lhe: Path, weights: list[Any], base: str | None, varied: dict[str, Variation],
                     comment: str, labels: dict[str, str]) -> None:
    """Write MadGraph's LHE to ``lhe`` with the ``weights`` (DerivedWeight) and, for each
    nuisance benchmark, the weight ``base`` (None: XWGTUP, the sampling benchmark's) times
    the ratio of its MadGraph systematics weight to XWGTUP: the variation as computed for
    the event as generated, which holds at every θ (goldmine.physics.nuisance)."""
    from goldmine.io.lhe_writer import DerivedWeight, write_derived_weights

    nuisance = [DerivedWeight(name, base, run.variation_ids[name]) for name in varied]
    labels = {**labels, **{name: f"{label}, from MadGraph's systematics weight {run.variation_ids[name]}"
                           for name, label in _variation_labels(varied).items()}}
    write_derived_weights(run.lhe, lhe, [*weights, *nuisance], weight_labels=labels, comment=comment)


def _variation_record(run: Any) -> dict[str, Any]:
    return {"madgraph_systematics_weights": run.variation_ids} if run.variation_ids else {}


def _background_summary(spec: BackgroundJobSpec, backend: str, cross_section: float, error: float,
                        weight_names: tuple[str, ...], showered: int | None, versions: dict[str, str],
                        provenance: Provenance, **extra: Any) -> dict[str, Any]:
    return {
        "backend": backend, "background": spec.name, **extra, "benchmark": None, "seed": spec.seed,
        "events": spec.n_events, "showered_events": showered,
        "beam_energy_gev": spec.beam_energy, "cross_section_pb": {"value": cross_section, "error": error},
        "weight_names": list(weight_names), "versions": versions, "provenance": provenance.to_dict(),
    }


def run_background_job(setup: Setup, spec: BackgroundJobSpec, output: Path, *, process: str, pt_hat_min: float,
                       pythia_settings: tuple[str, ...], provenance: Provenance) -> dict[str, Any]:
    """Pythia 8 events of the built-in background ``process`` (a key of
    :data:`goldmine.generate.backgrounds.PROCESSES`; hard process, with the shower
    optional) with Pythia's ``PhaseSpace:pTHatMin`` = ``pt_hat_min`` GeV: every benchmark's
    weight is the nominal one, σ is Pythia's; LHE and HepMC."""
    from goldmine.generate.backgrounds import PROCESSES, background_settings
    from goldmine.generate.builtin import MB_TO_PB, lhe_events, lhe_init, run_pythia
    from goldmine.generate.shower import NOMINAL_WEIGHT
    from goldmine.generate.variations import variation_ratios
    from goldmine.io.lhe_writer import write_lhe

    description = PROCESSES[process].description
    weight_names = (NOMINAL_WEIGHT, *setup.benchmark_names)
    varied = variations(setup)
    settings = background_settings(process, spec.beam_energy, pt_hat_min, pythia_settings, shower=spec.shower)
    with atomic_directory(output) as folder:
        with _hepmc_writer(spec, folder / HEPMC_NAME, weight_names) as hepmc:
            records, info, pythia = run_pythia(settings, spec.n_events, seed=spec.seed, shat_bias=0.0, hepmc=hepmc,
                                               undecayed=(), process_name=description)
            run_info = pythia.infoPython()
            cross_section, error = run_info.sigmaGen() * MB_TO_PB, run_info.sigmaErr() * MB_TO_PB
            events = lhe_events(records, info, cross_section, PROCESSES[process].particles)
            # θ-independent: every benchmark's weight is the nominal one, bit for bit, but for the variations
            events = dataclasses.replace(events, weights=np.repeat(events.nominal[:, None], len(setup.benchmarks), 1))
            _vary(setup, events.weights, varied, variation_ratios(pythia, info, tuple(varied.values()),
                                                                  PROCESSES[process].orders))
            if hepmc is not None:
                hepmc.finish(np.column_stack([events.nominal, events.weights]))
            write_lhe(folder / LHE_NAME, lhe_init(spec.beam_energy, cross_section, error), events,
                      tuple(setup.benchmark_names),
                      weight_labels={**{name: "background" for name in setup.benchmark_names},
                                     **_variation_labels(varied)},
                      comment=f"goldmine builtin generator: background {spec.name} ({process}: {description}), "
                              f"pTHatMin {pt_hat_min:g} GeV, seed {spec.seed}")
        document = _background_summary(spec, "builtin", cross_section, error, weight_names,
                                       spec.n_events if spec.shower else None, _versions("pythia8mc"), provenance,
                                       process=process, pt_hat_min_gev=pt_hat_min,
                                       pythia_settings=list(pythia_settings))
        write_json(folder / SUMMARY_NAME, document)
    log.info("background %s: %d events of %s, sigma = %.5g +- %.2g pb", spec.name, spec.n_events, process,
             cross_section, error)
    return document


def run_madgraph_background_job(setup: Setup, spec: BackgroundJobSpec, output: Path, *, mg5: Any, templates: Any,
                                provenance: Provenance) -> dict[str, Any]:
    """Real MG5_aMC without reweighting, its LHE rewritten with the nominal weight at every
    benchmark (its XWGTUP text) and the scale variations from MadGraph's systematics
    weights at the nuisance benchmarks, then the Pythia 8 shower; σ is MadGraph's, summed
    over its processes. MadGraph's run directory as for a signal job."""
    from goldmine.generate.madgraph import run_madgraph
    from goldmine.generate.shower import NOMINAL_WEIGHT
    from goldmine.io.lhe_writer import DerivedWeight

    output = output.resolve()  # MG5_aMC needs absolute paths
    run_dir = output.parent / f".{output.name}.mg5"
    varied = variations(setup)
    with atomic_directory(output) as folder:
        run = run_madgraph(mg5, templates, run_dir, n_events=spec.n_events, seed=spec.seed,
                           beam_energy=spec.beam_energy, variations=varied)
        flat = [DerivedWeight(name) for name in setup.benchmark_names if name not in varied]
        _with_variations(run, folder / LHE_NAME, flat, None, varied,
                         f"goldmine: background {spec.name} from MG5_aMC {run.version} ({templates.process.name}), "
                         f"seed {spec.seed}; every benchmark's weight is the nominal XWGTUP",
                         {weight.name: "background" for weight in flat})
        showered, shower_versions = _shower(spec, folder)
        document = _background_summary(spec, "madgraph", run.cross_section, run.cross_section_error,
                                       (NOMINAL_WEIGHT, *setup.benchmark_names), showered,
                                       {**_versions(), "mg5_amc": run.version, **shower_versions}, provenance,
                                       cards=[str(card) for card in (templates.process, templates.run, templates.param)
                                              if card is not None], **_variation_record(run))
        write_json(folder / SUMMARY_NAME, document)
    shutil.rmtree(run_dir, ignore_errors=True)
    log.info("background %s: %d events from MG5_aMC, sigma = %.5g +- %.2g pb", spec.name, spec.n_events,
             run.cross_section, run.cross_section_error)
    return document
