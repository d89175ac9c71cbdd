"""The inference methods: for each, the sampler that makes its training rows (augment),
the estimator family it trains and its loss terms (train). The one table both stages read;
torch-free, so that augment needs no torch.

Loss terms are named as in :data:`goldmine.inference.losses.TERMS`; a term weighted
``"alpha"`` is multiplied by the training setting α (MadMiner's name for the weight of
the score terms). Families are the classes of :mod:`goldmine.inference.estimators`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["METHODS", "TRAINABLE", "Method", "SamplerName"]

SamplerName = Literal["local", "density", "ratio", "more_ratios", "test", "plain"]
Weight = Literal["one", "alpha"]


@dataclass(frozen=True)
class Method:
    """``terms``: (loss term name, weight) pairs; empty for data-only samplers."""

    name: str
    sampler: SamplerName
    family: str | None = None
    terms: tuple[tuple[str, Weight], ...] = ()

    @property
    def trainable(self) -> bool:
        return self.family is not None


_RATIO_TERMS: dict[str, tuple[tuple[str, Weight], ...]] = {
    "carl": (("xe", "one"),),
    "rolr": (("mse_r", "one"),),
    "alice": (("improved_xe", "one"),),
    "cascal": (("xe", "one"), ("mse_score0", "alpha")),
    "rascal": (("mse_r", "one"), ("mse_score0", "alpha")),
    "alices": (("improved_xe", "one"), ("mse_score0", "alpha")),
}


def _doubly(terms: tuple[tuple[str, Weight], ...]) -> tuple[tuple[str, Weight], ...]:
    """The doubly parameterised variant also fits the score at θ1 where it fits the one at θ0."""
    return terms + ((("mse_score1", "alpha"),) if ("mse_score0", "alpha") in terms else ())


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method("sally", "local", "score", (("mse_score", "one"),)),
        Method("sallino", "local", "score", (("mse_score", "one"),)),
        Method("nde", "density", "likelihood", (("nll", "one"),)),
        Method("scandal", "density", "likelihood", (("nll", "one"), ("mse_score", "alpha"))),
        *(Method(name, "ratio", "parameterized_ratio", terms) for name, terms in _RATIO_TERMS.items()),
        *(Method(f"{name}2", "more_ratios", "doubly_parameterized_ratio", _doubly(terms))
          for name, terms in _RATIO_TERMS.items()),
        Method("test", "test"),
        Method("plain", "plain"),
    )
}

#: The methods that train an estimator, in table order.
TRAINABLE: tuple[str, ...] = tuple(name for name, method in METHODS.items() if method.trainable)

