"""The ``training`` section: architecture and optimisation settings of the train stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["TrainingConfig"]


@dataclass(frozen=True)
class TrainingConfig:
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

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> TrainingConfig:
        return cls(**{**raw, "hidden": tuple(raw["hidden"]), "methods": tuple(raw["methods"])})
