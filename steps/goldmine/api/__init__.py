"""goldmine's Python API: one function per stage of the chain, taking and returning paths
and light objects; the ``goldmine`` commands are thin layers over it.

    from goldmine import api
    setup = api.configure("analysis.yml", "setup.h5")
    api.generate("setup.h5", "analysis.yml", "job_sm", benchmark="sm", seed=1, events=1000)
    api.detector("job_sm/events.hepmc.gz", "delphes.root", config="analysis.yml")
    api.observables("setup.h5", "analysis.yml", "delphes.root", "events.h5", sampling_benchmark="sm",
                    lhe="job_sm/events.lhe.gz")
    api.combine(["events.h5", ...], "combined.h5")
    api.augment("combined.h5", "setup.h5", "analysis.yml", "sally", "data_sally")
    api.train("data_sally", "analysis.yml", "model_sally")
    api.evaluate("setup.h5", "combined.h5", "analysis.yml", "results.h5", models=["model_sally"])
    api.plot(["results.h5"], "plots")

Each function is imported on first use (``goldmine.api.train`` imports torch; configure
does not). Errors are :mod:`goldmine.errors` exceptions naming the file, key or event.
MadMiner's names, for orientation: configure ~ ``MadMiner`` (parameters, benchmarks,
morphing, saved setup), observables ~ ``LHEReader``/``DelphesReader``, augment ~
``SampleAugmenter``, train ~ ``ScoreEstimator``/``ParameterizedRatioEstimator``, evaluate
~ ``FisherInformation`` and ``AsymptoticLimits``.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Each public function and the module that defines it.
_FUNCTIONS = {
    "configure": "goldmine.api._configure", "generate": "goldmine.api._generate", "detector": "goldmine.api._detector",
    "observables": "goldmine.api._observables", "combine": "goldmine.api._combine", "augment": "goldmine.api._augment",
    "train": "goldmine.api._train", "evaluate": "goldmine.api._evaluate", "plot": "goldmine.api._plot",
    "run": "goldmine.api._run",
}

__all__ = list(_FUNCTIONS)


def __getattr__(name: str) -> Any:
    if name not in _FUNCTIONS:
        raise AttributeError(f"module 'goldmine.api' has no attribute {name!r}")
    return getattr(importlib.import_module(_FUNCTIONS[name]), name)


def __dir__() -> list[str]:
    return sorted(__all__)
