"""The meaning checks a schema cannot express, then the frozen dataclasses.

Each failure raises :class:`ConfigError` with the dotted key, the bad value and the fix.
"""

from __future__ import annotations

import difflib
import math
import os
import types
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from goldmine.config.augmentation import build_augmentation
from goldmine.config.evaluation import build_evaluation
from goldmine.config.model import (
    AnalysisConfig,
    BackgroundCards,
    BackgroundConfig,
    BuiltinGeneration,
    DetectorConfig,
    GenerationConfig,
    MadgraphGeneration,
    MorphingConfig,
)
from goldmine.config.training import TrainingConfig
from goldmine.errors import ConfigError
from goldmine.expressions import ExpressionError, compile_arithmetic, parse_checked
from goldmine.io.provenance import digest
from goldmine.setup import Benchmark, Observable, Parameter, Systematic

__all__ = ["build_config"]


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(mapping))


def _check_unique(names: Iterable[str], key: str) -> None:
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            msg = f"duplicate name {name!r} (also at {key}[{seen[name]}]); names must be unique"
            raise ConfigError(f"{key}[{index}].name", msg)
        seen[name] = index


def _suggest(name: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(choices)}"


def _parameters(raw: list[dict[str, Any]]) -> tuple[Parameter, ...]:
    _check_unique((p["name"] for p in raw), "parameters")
    lha_seen: dict[tuple[str, int], int] = {}
    parameters = []
    for index, entry in enumerate(raw):
        key = f"parameters[{index}]"
        low, high = entry["range"]
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ConfigError(f"{key}.range", f"expected finite [low, high], got [{low}, {high}]")
        if not low < high:
            raise ConfigError(f"{key}.range", f"expected [low, high] with low < high, got [{low}, {high}]")
        _check_powers_finite(max(abs(low), abs(high)), entry["max_power"], f"{key}.range")
        lha = (entry["lha_block"].lower(), entry["lha_id"])
        if lha in lha_seen:
            msg = f"LHA entry {entry['lha_block']} {entry['lha_id']} is already used by parameters[{lha_seen[lha]}]"
            raise ConfigError(f"{key}.lha_id", msg)
        lha_seen[lha] = index
        transform = entry["transform"]
        if transform is not None:
            try:
                compile_arithmetic(transform, ["theta"])
            except ExpressionError as err:
                raise ConfigError(f"{key}.transform", str(err)) from None
        parameters.append(
            Parameter(entry["name"], entry["lha_block"], entry["lha_id"], entry["max_power"], (low, high), transform)
        )
    return tuple(parameters)


def _check_powers_finite(magnitude: float, max_power: int, key: str) -> None:
    """θ^(2·max_power) must be a finite float: squared morphing weights (Fisher information,
    the basis optimisation) reach that power."""
    try:
        finite = math.isfinite(float(magnitude) ** (2 * max(max_power, 1)))
    except OverflowError:
        finite = False
    if not finite:
        msg = (f"|theta| up to {magnitude:g} overflows floating point at the morphing powers (theta^{2 * max_power}); "
               "use a range in the parameter's natural units (e.g. TeV^-2), or a transform")
        raise ConfigError(key, msg)


def _check_transforms(parameters: tuple[Parameter, ...], benchmarks: tuple[Benchmark, ...]) -> None:
    """Each param-card transform gives a finite number at its range's ends and at every
    benchmark (what the cards are written with)."""
    for index, parameter in enumerate(parameters):
        if parameter.transform is None:
            continue
        transform = compile_arithmetic(parameter.transform, ["theta"])
        for theta in (*parameter.range, *(b.values[index] for b in benchmarks)):
            try:
                with np.errstate(all="ignore"):
                    value = float(transform({"theta": float(theta)}))
            except (OverflowError, ZeroDivisionError, ValueError):
                value = math.nan
            if not math.isfinite(value):
                msg = f"{parameter.transform!r} is not a finite number at theta = {theta:g} (got {value})"
                raise ConfigError(f"parameters[{index}].transform", msg)


def _benchmarks(raw: Mapping[str, Mapping[str, float]], names: list[str]) -> tuple[Benchmark, ...]:
    benchmarks = []
    for name, values in raw.items():
        for parameter in values:
            if parameter not in names:
                msg = f"unknown parameter {parameter!r}{_suggest(parameter, names)}"
                raise ConfigError(f"benchmarks.{name}.{parameter}", msg)
        missing = [p for p in names if p not in values]
        if missing:
            msg = f"no value for parameter {', '.join(missing)}; give every parameter a value"
            raise ConfigError(f"benchmarks.{name}", msg)
        for parameter in names:
            if not math.isfinite(float(values[parameter])):
                raise ConfigError(f"benchmarks.{name}.{parameter}", f"expected a finite number, got {values[parameter]}")
        benchmarks.append(Benchmark(name, tuple(float(values[p]) for p in names)))
    return tuple(benchmarks)


def _check_benchmark_list(names: list[str], benchmark_names: list[str], key: str) -> None:
    """Every name is a known benchmark, and none is listed twice."""
    for index, name in enumerate(names):
        if name not in benchmark_names:
            msg = f"unknown benchmark {name!r}{_suggest(name, benchmark_names)}"
            raise ConfigError(f"{key}[{index}]", msg)
        if name in names[:index]:
            raise ConfigError(f"{key}[{index}]", f"benchmark {name!r} is listed twice")


def _morphing(raw: Mapping[str, Any] | None, benchmark_names: list[str]) -> MorphingConfig | None:
    if raw is None:
        return None
    _check_benchmark_list(raw["basis"], benchmark_names, "morphing.basis")
    return MorphingConfig(raw["max_overall_power"], tuple(raw["basis"]), raw["optimize"], raw["trials"])


_SYSTEMATIC_KEYS = {"norm": {"factor"}, "scale": {"scale", "factors"}, "pdf": {"pdf"}, "pdf_set": {"pdf"}}


def _systematics(raw: list[dict[str, Any]]) -> tuple[Systematic, ...]:
    _check_unique((s["name"] for s in raw), "systematics")
    systematics = []
    for index, entry in enumerate(raw):
        kind = entry["type"]
        foreign = set(entry) - {"name", "type"} - _SYSTEMATIC_KEYS[kind]
        if foreign:
            wanted = ", ".join(sorted(_SYSTEMATIC_KEYS[kind]))
            msg = f"key {sorted(foreign)[0]!r} does not apply to a {kind!r} systematic (it takes {wanted})"
            raise ConfigError(f"systematics[{index}].{sorted(foreign)[0]}", msg)
        if kind == "norm":
            systematics.append(Systematic(entry["name"], "norm", repr(float(entry["factor"]))))
        elif kind == "scale":
            _check_scale_factors([float(f) for f in entry["factors"]], f"systematics[{index}].factors")
            factors = ",".join(repr(float(f)) for f in entry["factors"])
            systematics.append(Systematic(entry["name"], "scale", factors, entry["scale"]))
        elif kind == "pdf":
            raise ConfigError(f"systematics[{index}].type", f"{entry['pdf']}: PDF member variations need an LHAPDF "
                                                            "set with its error members, and the PDF grids that ship "
                                                            "with Pythia hold central members only; for a variation "
                                                            "to another set use type pdf_set")
        else:
            systematics.append(Systematic(entry["name"], kind, entry["pdf"]))
    return tuple(systematics)


def _check_scale_factors(factors: list[float], key: str) -> None:
    """The ν = +1 factor (last) and optionally the ν = −1 one (first), as madminer reads them;
    a middle entry may only be the nominal 1 (madminer's "0.5, 1, 2")."""
    if len(factors) > 3 or (len(factors) == 3 and factors[1] != 1.0):
        raise ConfigError(key, f"{factors}: give the factor of the +1 sigma variation, or those of -1 and +1 sigma "
                               "(e.g. [0.5, 2.0])")
    if factors[-1] == 1.0 or factors[0] == factors[-1] and len(factors) > 1:
        raise ConfigError(key, f"{factors}: the variations must differ from the nominal scale (1) and each other")


def _check_systematics_have_weights(systematics: tuple[Systematic, ...], generation: GenerationConfig | None,
                                    backgrounds: tuple[BackgroundConfig, ...]) -> None:
    """Scale variations come from either backend (the madgraph one through MadGraph's
    systematics module); PDF-set variations from the built-in generator only
    (goldmine.generate.variations)."""
    pdf_sets = [i for i, s in enumerate(systematics) if s.type == "pdf_set"]
    madgraph = [f"backgrounds[{i}] ({b.name})" for i, b in enumerate(backgrounds) if b.backend == "madgraph"]
    if generation is not None and generation.backend == "madgraph":
        madgraph.insert(0, "generation")
    if pdf_sets and madgraph:
        raise ConfigError(f"systematics[{pdf_sets[0]}]", f"PDF-set systematics need the built-in generator's "
                                                         f"per-event weights; {madgraph[0]} uses the madgraph "
                                                         "backend, whose PDF-set weights goldmine does not read "
                                                         "(its scale variations it does)")


def _existing_file(text: str | None, base: Path, key: str) -> Path | None:
    if text is None:
        return None
    path = (base / text).resolve()
    if not path.is_file():
        raise ConfigError(key, f"file not found: {text} (looked for {path})")
    return path


def _command_or_path(text: str | None, base: Path) -> str | None:
    """A command name as given (looked up on PATH when used), a path resolved against ``base``."""
    if text is None or os.sep not in text:
        return text
    return str((base / text).resolve())


def _generation(raw: Mapping[str, Any], benchmark_names: list[str], base: Path) -> GenerationConfig:
    _check_benchmark_list(raw["sampling_benchmarks"], benchmark_names, "generation.sampling_benchmarks")
    builtin = BuiltinGeneration(**raw["builtin"])
    madgraph = None
    if "madgraph" in raw:
        mg = raw["madgraph"]
        madgraph = MadgraphGeneration(
            process_card=_existing_file(mg["process_card"], base, "generation.madgraph.process_card"),
            run_card=_existing_file(mg["run_card"], base, "generation.madgraph.run_card"),
            param_card=_existing_file(mg["param_card"], base, "generation.madgraph.param_card"),
            pythia8_card=_existing_file(mg["pythia8_card"], base, "generation.madgraph.pythia8_card"),
            mg_dir=None if mg["mg_dir"] is None else (base / mg["mg_dir"]).resolve(),
            python=_command_or_path(mg["python"], base),
            shower=mg["shower"],
        )
    return GenerationConfig(
        backend=raw["backend"],
        beam_energy=float(raw["beam_energy"]),
        events_per_job=raw["events_per_job"],
        jobs_per_benchmark=raw["jobs_per_benchmark"],
        sampling_benchmarks=tuple(raw["sampling_benchmarks"]),
        master_seed=raw["master_seed"],
        builtin=builtin,
        madgraph=madgraph,
    )


def _backgrounds(raw: list[dict[str, Any]], benchmark_names: list[str], base: Path) -> tuple[BackgroundConfig, ...]:
    _check_unique((b["name"] for b in raw), "backgrounds")
    for index, entry in enumerate(raw):
        if entry["name"] in benchmark_names:
            raise ConfigError(f"backgrounds[{index}].name", f"{entry['name']!r} is also a benchmark's name; the jobs "
                                                            "and their folders are named after both: rename one")
    return tuple(_background(entry, base, f"backgrounds[{index}]") for index, entry in enumerate(raw))


def _background(entry: dict[str, Any], base: Path, key: str) -> BackgroundConfig:
    from goldmine.generate.backgrounds import PROCESSES  # the built-in processes (no generator is imported)

    cards = None
    if entry["backend"] == "builtin":
        if "madgraph" in entry:
            raise ConfigError(f"{key}.madgraph", "a builtin background takes a process, not MadGraph cards "
                                                 "(set backend: madgraph to run them)")
        if entry["process"] not in PROCESSES:
            raise ConfigError(f"{key}.process", f"unknown process {entry['process']!r}"
                                                f"{_suggest(entry['process'], PROCESSES)}")
    else:
        for builtin_key, unset in (("process", None), ("pt_hat_min", 0.0), ("pythia_settings", [])):
            if entry.get(builtin_key, unset) != unset:
                raise ConfigError(f"{key}.{builtin_key}", "applies to the builtin backend only: a madgraph "
                                                          "background's process and cuts are in its cards")
        mg = entry["madgraph"]
        cards = BackgroundCards(
            process_card=_existing_file(mg["process_card"], base, f"{key}.madgraph.process_card"),
            run_card=_existing_file(mg["run_card"], base, f"{key}.madgraph.run_card"),
            param_card=_existing_file(mg["param_card"], base, f"{key}.madgraph.param_card"),
        )
    return BackgroundConfig(name=entry["name"], backend=entry["backend"], process=entry.get("process"), madgraph=cards,
                            events_per_job=entry["events_per_job"], jobs=entry["jobs"],
                            pt_hat_min=float(entry["pt_hat_min"]), pythia_settings=tuple(entry["pythia_settings"]))


def _observables(raw: list[dict[str, Any]]) -> tuple[Observable, ...]:
    _check_unique((o["name"] for o in raw), "observables")
    for index, entry in enumerate(raw):
        parse_checked(entry["expression"], f"observables[{index}].expression", ("number", "boolean"))
    return tuple(Observable(o["name"], o["expression"], o["default"], o["required"]) for o in raw)


def build_config(normalized: dict[str, Any], *, base: Path, source: Path | None) -> AnalysisConfig:
    """Check a schema-valid, default-filled config for meaning and build the dataclasses."""
    parameters = _parameters(normalized["parameters"])
    names = [p.name for p in parameters]
    benchmarks = _benchmarks(normalized["benchmarks"], names)
    _check_transforms(parameters, benchmarks)
    benchmark_names = [b.name for b in benchmarks]
    for kind, value in (("cuts", "boolean"), ("efficiencies", "number")):
        for index, text in enumerate(normalized[kind]):
            parse_checked(text, f"{kind}[{index}]", (value,))
    detector = normalized["detector"]
    observables = _observables(normalized["observables"])
    systematics = _systematics(normalized["systematics"])
    generation = _generation(normalized["generation"], benchmark_names, base) if "generation" in normalized else None
    backgrounds = _backgrounds(normalized["backgrounds"], benchmark_names, base)
    _check_systematics_have_weights(systematics, generation, backgrounds)
    return AnalysisConfig(
        name=normalized["name"],
        description=normalized["description"],
        parameters=parameters,
        benchmarks=benchmarks,
        morphing=_morphing(normalized.get("morphing"), benchmark_names),
        systematics=systematics,
        generation=generation,
        backgrounds=backgrounds,
        detector=DetectorConfig(detector["backend"], _existing_file(detector["card"], base, "detector.card")),
        observables=observables,
        cuts=tuple(normalized["cuts"]),
        efficiencies=tuple(normalized["efficiencies"]),
        augmentation=build_augmentation(normalized["augmentation"], parameters, benchmarks),
        training=TrainingConfig.from_raw(normalized["training"]),
        evaluation=build_evaluation(normalized["evaluation"], parameters, benchmarks, observables),
        normalized=_frozen(normalized),
        digest=digest(normalized),
        source=source,
    )
