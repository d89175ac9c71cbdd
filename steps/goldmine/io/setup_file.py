"""The setup sections of an HDF5 file, with MadMiner 0.9.6's dataset names and dtypes.

    parameters/{names, lha_blocks, transforms}  bytes (P,)  lha_ids, max_power int (P,)
    parameters/val_ranges                       float (P, 2)
    benchmarks/{names} bytes (B,)  values float (B, P)  is_nuisance, is_reference int (B,)
    morphing/components int (C, P)   morphing/morphing_matrix float (C, C)
    systematics/{names, types, values, scales}  bytes (S,)
    observables/{names, definitions}            bytes (O,)
    nuisance_parameters/{names, systematics, benchmark_positive, benchmark_negative}  bytes (K,)

Strings are fixed-length UTF-8 bytes (MadMiner's ``S256`` dtype family), each dataset as
long as its longest string.

MadMiner reads the first C benchmarks as the morphing basis, so the basis comes first.
MadMiner spells "no param-card transform" ``_`` and "no scale" ``None``. Nuisance
benchmarks (``is_nuisance``) come after the physics ones, with the reference benchmark's
values; ``nuisance_parameters/`` names each shape nuisance's ν = ±1 benchmarks (``None``:
no ν = −1 benchmark), as madminer's readers write them into event files.

MadMiner 0.9.6 can neither write nor read a ``norm`` or ``pdf`` systematic (its loader
passes the scale ``None`` to ``SystematicScale.from_str`` and fails). So that our files
still open in MadMiner, ``systematics/`` holds only the scale variations, and the
complete list, in the same four datasets, is ``goldmine/systematics/``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import h5py
import numpy as np

from goldmine.errors import InputFileError
from goldmine.io.atomic import atomic_path
from goldmine.io.hdf5 import open_for_reading, open_for_writing
from goldmine.io.provenance import Provenance
from goldmine.physics.morphing import Morpher
from goldmine.setup import Benchmark, NuisanceParameter, Observable, Parameter, Setup, Systematic

__all__ = ["read_event_setup", "read_setup", "write_setup", "write_setup_sections"]

NO_TRANSFORM = "_"
NO_SCALE = "None"
NO_BENCHMARK = "None"  # madminer's EMPTY_EXPR: a nuisance parameter without a ν = −1 benchmark
NUISANCE_PARAMETERS = "nuisance_parameters"
CONFIG_DATASET = "goldmine/config"
MADMINER_SYSTEMATICS = "systematics"
GOLDMINE_SYSTEMATICS = "goldmine/systematics"
OBSERVABLE_DEFAULTS = "goldmine/observable_defaults"
OBSERVABLE_REQUIRED = "goldmine/observable_required"


def _encode(strings: list[str]) -> np.ndarray:
    """Fixed-length UTF-8 byte strings as MadMiner writes them, as long as the longest
    (never cut: a cut observable definition would no longer match its config)."""
    encoded = [s.encode("utf-8") for s in strings]
    return np.array(encoded, dtype=f"S{max([len(e) for e in encoded] + [1])}")


def _decode(values: np.ndarray) -> list[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def write_setup_sections(file: h5py.File, setup: Setup) -> None:
    """Write every setup section into an open HDF5 file."""
    params = setup.parameters
    file.create_dataset("parameters/names", data=_encode([p.name for p in params]))
    file.create_dataset("parameters/lha_blocks", data=_encode([p.lha_block for p in params]))
    file.create_dataset("parameters/lha_ids", data=np.array([p.lha_id for p in params], dtype=np.int64))
    file.create_dataset("parameters/max_power", data=np.array([p.max_power for p in params], dtype=np.int64))
    file.create_dataset("parameters/val_ranges", data=setup.parameter_ranges)
    file.create_dataset("parameters/transforms", data=_encode([p.transform or NO_TRANSFORM for p in params]))

    benchmarks = setup.benchmarks
    file.create_dataset("benchmarks/names", data=_encode(setup.benchmark_names))
    file.create_dataset("benchmarks/values", data=setup.benchmark_values)
    file.create_dataset("benchmarks/is_nuisance", data=np.array([int(b.is_nuisance) for b in benchmarks]))
    file.create_dataset("benchmarks/is_reference", data=np.array([int(b.is_reference) for b in benchmarks]))

    if setup.morpher is not None:
        file.create_dataset("morphing/components", data=setup.morpher.components.astype(np.int64))
        file.create_dataset("morphing/morphing_matrix", data=setup.morpher.matrix.astype(float))

    if setup.systematics:
        _write_systematics(file, GOLDMINE_SYSTEMATICS, setup.systematics)
        madminer_readable = tuple(s for s in setup.systematics if s.type == "scale")
        if madminer_readable:
            _write_systematics(file, MADMINER_SYSTEMATICS, madminer_readable)

    if setup.nuisance_parameters:
        _write_nuisance_parameters(file, setup.nuisance_parameters)

    if setup.observables:
        observables = setup.observables
        file.create_dataset("observables/names", data=_encode([o.name for o in observables]))
        file.create_dataset("observables/definitions", data=_encode([o.definition for o in observables]))
        defaults = [np.nan if o.default is None else o.default for o in observables]
        file.create_dataset(OBSERVABLE_DEFAULTS, data=np.array(defaults, dtype=float))
        file.create_dataset(OBSERVABLE_REQUIRED, data=np.array([int(o.required) for o in observables]))

    if setup.config_json is not None:
        file.create_dataset(CONFIG_DATASET, data=setup.config_json)


def _write_systematics(file: h5py.File, group: str, systematics: tuple[Systematic, ...]) -> None:
    file.create_dataset(f"{group}/names", data=_encode([s.name for s in systematics]))
    file.create_dataset(f"{group}/types", data=_encode([s.type for s in systematics]))
    file.create_dataset(f"{group}/values", data=_encode([str(s.value) for s in systematics]))
    file.create_dataset(f"{group}/scales", data=_encode([s.scale or NO_SCALE for s in systematics]))


def _write_nuisance_parameters(file: h5py.File, nuisances: tuple[NuisanceParameter, ...]) -> None:
    file.create_dataset(f"{NUISANCE_PARAMETERS}/names", data=_encode([n.name for n in nuisances]))
    file.create_dataset(f"{NUISANCE_PARAMETERS}/systematics", data=_encode([n.systematic for n in nuisances]))
    file.create_dataset(f"{NUISANCE_PARAMETERS}/benchmark_positive", data=_encode([n.positive for n in nuisances]))
    file.create_dataset(f"{NUISANCE_PARAMETERS}/benchmark_negative",
                        data=_encode([n.negative or NO_BENCHMARK for n in nuisances]))


def _read_nuisance_parameters(file: h5py.File, benchmarks: tuple[Benchmark, ...]) -> tuple[NuisanceParameter, ...]:
    if f"{NUISANCE_PARAMETERS}/names" not in file:
        return ()
    names = [b.name for b in benchmarks]
    if not any(b.is_reference for b in benchmarks):
        raise KeyError("benchmarks/is_reference: nuisance parameters vary the weights at a reference benchmark, "
                       "and none is flagged")
    nuisances = []
    for name, systematic, positive, negative in zip(
        *(_decode(file[f"{NUISANCE_PARAMETERS}/{key}"][()])
          for key in ("names", "systematics", "benchmark_positive", "benchmark_negative")), strict=True,
    ):
        nuisance = NuisanceParameter(name, systematic, positive, None if negative == NO_BENCHMARK else negative)
        for benchmark in (nuisance.positive, nuisance.negative):
            if benchmark is not None and benchmark not in names:
                raise KeyError(f"{NUISANCE_PARAMETERS}: benchmark {benchmark!r} of nuisance parameter {name!r}")
        nuisances.append(nuisance)
    return tuple(nuisances)


def _read_systematics(file: h5py.File) -> tuple[Systematic, ...]:
    group = GOLDMINE_SYSTEMATICS if GOLDMINE_SYSTEMATICS in file else MADMINER_SYSTEMATICS
    if group not in file:
        return ()
    return tuple(
        Systematic(name, kind, value, None if scale == NO_SCALE else scale)  # type: ignore[arg-type]
        for name, kind, value, scale in zip(
            _decode(file[f"{group}/names"][()]),
            _decode(file[f"{group}/types"][()]),
            _decode(file[f"{group}/values"][()]),
            _decode(file[f"{group}/scales"][()]),
        )
    )


def write_setup(path: str | Path, setup: Setup, provenance: Provenance) -> None:
    """Write a setup file atomically (temporary name, then rename)."""
    with atomic_path(path) as temporary, open_for_writing(temporary) as file:
        write_setup_sections(file, setup)
        provenance.attach(file)


def read_setup(path: str | Path) -> Setup:
    """Read the setup sections of a goldmine or MadMiner HDF5 file."""
    path = Path(path)
    with open_for_reading(path) as file:
        try:
            return _read_sections(file)
        except KeyError as err:
            msg = f"{path}: not a setup file, or a damaged one: cannot read {err.args[0]}"
            raise InputFileError(msg) from err


def read_event_setup(events: str | Path, setup: Setup, setup_path: str | Path) -> Setup:
    """The setup of the event file ``events``, which must be ``setup`` (read from
    ``setup_path``); where ``setup`` has no observables or no nuisance parameters
    (``MadMiner.save`` writes neither: madminer's readers add them, and the nuisance
    benchmarks, to the event file), the event file's count.

    Raises InputFileError naming the file and the first difference.
    """
    event_setup = read_setup(events)
    if not setup.observables:
        setup = dataclasses.replace(setup, observables=event_setup.observables)
    if not setup.nuisance_parameters and event_setup.nuisance_parameters:
        nuisance_benchmarks = tuple(b for b in event_setup.benchmarks if b.is_nuisance)
        setup = dataclasses.replace(setup, benchmarks=setup.benchmarks + nuisance_benchmarks,
                                    nuisance_parameters=event_setup.nuisance_parameters)
    mismatch = setup.first_mismatch(event_setup)
    if mismatch:
        raise InputFileError(f"{events} was not made with the setup {setup_path}: {mismatch}")
    return setup


def _read_sections(file: h5py.File) -> Setup:
    names = _decode(file["parameters/names"][()])
    parameters = tuple(
        Parameter(
            name=name,
            lha_block=block,
            lha_id=int(lha_id),
            max_power=int(max_power),
            range=(float(value_range[0]), float(value_range[1])),
            transform=None if transform in (NO_TRANSFORM, "None", "") else transform,
        )
        for name, block, lha_id, max_power, value_range, transform in zip(
            names,
            _decode(file["parameters/lha_blocks"][()]),
            file["parameters/lha_ids"][()],
            file["parameters/max_power"][()],
            file["parameters/val_ranges"][()],
            _decode(file["parameters/transforms"][()]),
        )
    )

    benchmark_names = _decode(file["benchmarks/names"][()])
    values = np.asarray(file["benchmarks/values"][()], dtype=float).reshape(len(benchmark_names), len(names))
    nuisance = _optional(file, "benchmarks/is_nuisance", [0] * len(benchmark_names))
    reference = _optional(file, "benchmarks/is_reference", [0] * len(benchmark_names))
    benchmarks = tuple(
        Benchmark(name, tuple(float(v) for v in row), bool(n), bool(r))
        for name, row, n, r in zip(benchmark_names, values, nuisance, reference)
    )

    morpher = None
    if "morphing/components" in file and "morphing/morphing_matrix" in file:
        components = np.asarray(file["morphing/components"][()], dtype=int)
        matrix = np.asarray(file["morphing/morphing_matrix"][()], dtype=float)
        basis = np.array([b.values for b in benchmarks if not b.is_nuisance][: len(components)])
        morpher = Morpher(components=components, basis=basis, matrix=matrix)

    systematics = _read_systematics(file)

    observables: tuple[Observable, ...] = ()
    if "observables/names" in file:
        obs_names = _decode(file["observables/names"][()])
        defaults = _optional(file, OBSERVABLE_DEFAULTS, [np.nan] * len(obs_names))
        required = _optional(file, OBSERVABLE_REQUIRED, [0] * len(obs_names))
        observables = tuple(
            Observable(name, definition, None if np.isnan(default) else float(default), bool(req))
            for name, definition, default, req in zip(
                obs_names, _decode(file["observables/definitions"][()]), defaults, required
            )
        )

    config_json = None
    if CONFIG_DATASET in file:
        raw = file[CONFIG_DATASET][()]
        config_json = raw.decode() if isinstance(raw, bytes) else str(raw)

    nuisances = _read_nuisance_parameters(file, benchmarks)
    return Setup(parameters, benchmarks, morpher, systematics, observables, config_json, nuisances)


def _optional(file: h5py.File, name: str, fallback: list) -> np.ndarray:
    return file[name][()] if name in file else np.asarray(fallback)
