"""The ``training`` section: architecture and optimisation settings of the train stage."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TrainingConfig"]


@dataclass(frozen=True)
class TrainingConfig:
    """The section's settings; ``per_method``: settings that replace them for one method
    (:meth:`for_method`)."""

    hidden: tuple[int, ...]
    activation: str
    dropout: float
    flow_transforms: int
    epochs: int
    batch_size: int
    learning_rate: float
    final_learning_rate: float
    optimizer: str
    weight_decay: float
    validation_split: float
    early_stopping: bool
    patience: int | None
    clip_gradient: float | None
    alpha: float
    ensemble_members: int
    methods: tuple[str, ...]
    per_method: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> TrainingConfig:
        return cls(**{**raw, "hidden": tuple(raw["hidden"]), "methods": tuple(raw["methods"]),
                      "per_method": dict(raw.get("per_method") or {})})

    def for_method(self, method: str) -> TrainingConfig:
        """The settings ``method`` trains with: the section's, with its ``per_method`` entry's."""
        override = dict(self.per_method.get(method, {}))
        if "hidden" in override:
            override["hidden"] = tuple(override["hidden"])
        return dataclasses.replace(self, **override)
