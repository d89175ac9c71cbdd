"""Observables, cuts and efficiencies of an analysis, applied to whole chunks of events.

Rules (one per line, so a physicist can predict every row of ``events.h5``):

- an observable whose value is missing (an index past the multiplicity) or not finite
  drops the event when it is ``required``, and otherwise takes its ``default``
  (NaN when the default is null);
- a cut whose value is missing fails;
- an efficiency multiplies every weight of the event; a missing one is 0; events of
  efficiency 0 are dropped; a value outside [0, 1] is an error naming the event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import awkward as ak
import numpy as np

from goldmine.errors import InputFileError
from goldmine.expressions import Node, evaluate, parse_checked
from goldmine.observables.evaluate import to_flags, to_numbers
from goldmine.setup import Observable

__all__ = ["Selection", "SelectionResult"]


@dataclass(frozen=True, eq=False)
class SelectionResult:
    """``passed`` (n_events,) bool; for the passing events ``observations`` (n_pass,
    n_observables) float64 and ``efficiency`` (n_pass,) to multiply the weights with."""

    passed: np.ndarray
    observations: np.ndarray
    efficiency: np.ndarray


@dataclass(frozen=True, eq=False)
class Selection:
    observables: tuple[Observable, ...]
    observable_trees: tuple[Node, ...]
    cuts: tuple[tuple[str, Node], ...]
    efficiencies: tuple[tuple[str, Node], ...]

    @classmethod
    def build(cls, observables: Sequence[Observable], cuts: Sequence[str] = (),
              efficiencies: Sequence[str] = ()) -> Selection:
        """Parse every definition; a bad one raises :class:`ConfigError` naming its key."""
        trees = tuple(
            parse_checked(o.definition, f"observables[{i}].expression", ("number", "boolean"))
            for i, o in enumerate(observables)
        )
        return cls(
            tuple(observables),
            trees,
            tuple((text, parse_checked(text, f"cuts[{i}]", ("boolean",))) for i, text in enumerate(cuts)),
            tuple((text, parse_checked(text, f"efficiencies[{i}]", ("number",))) for i, text in enumerate(efficiencies)),
        )

    def apply(self, objects: Mapping[str, ak.Array], n_events: int, *, first_event: int = 0,
              source: str = "input") -> SelectionResult:
        passed = np.ones(n_events, dtype=bool)
        columns = []
        for observable, tree in zip(self.observables, self.observable_trees):
            values, missing = to_numbers(evaluate(tree, objects), n_events)
            invalid = missing | ~np.isfinite(values)
            if observable.required:
                passed &= ~invalid
            else:
                values[invalid] = np.nan if observable.default is None else observable.default
            columns.append(values)
        for _, tree in self.cuts:
            passed &= to_flags(evaluate(tree, objects), n_events)
        efficiency = np.ones(n_events)
        for text, tree in self.efficiencies:
            values, missing = to_numbers(evaluate(tree, objects), n_events)
            values[missing] = 0.0
            bad = ~((values >= 0.0) & (values <= 1.0))
            if bad.any():
                event = int(np.flatnonzero(bad)[0])
                msg = f"{source}: efficiency {text!r} is {values[event]} for event {first_event + event}, outside [0, 1]"
                raise InputFileError(msg)
            efficiency *= values
        passed &= efficiency > 0.0
        observations = np.column_stack(columns)[passed] if columns else np.empty((int(passed.sum()), 0))
        return SelectionResult(passed, observations, efficiency[passed])
