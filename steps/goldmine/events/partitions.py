"""Train, validation and test partitions of a shuffled event file, fixed by event index.

Events [0, n_train) train, [n_train, n_train + n_validation) validate, the rest test:
no gaps and no overlap. Each partition's weights are scaled by n_events / n_partition
so that it alone estimates the full cross sections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from goldmine.errors import GoldmineError

__all__ = ["Partition", "PartitionName", "split_events"]

PartitionName = Literal["train", "validation", "test"]


@dataclass(frozen=True)
class Partition:
    """Events [start, stop) of the file; ``weight_scale`` = n_events / (stop - start)."""

    name: PartitionName
    start: int
    stop: int
    weight_scale: float

    def __len__(self) -> int:
        return self.stop - self.start


def split_events(n_events: int, validation_fraction: float, test_fraction: float) -> dict[str, Partition]:
    """The partitions with a non-zero fraction; train always exists.

    Raises GoldmineError when a requested partition would hold no event.
    """
    n_test = round(n_events * test_fraction)
    n_validation = round(n_events * validation_fraction)
    n_train = n_events - n_test - n_validation
    bounds = {
        "train": (0, n_train, 1.0),
        "validation": (n_train, n_train + n_validation, validation_fraction),
        "test": (n_train + n_validation, n_events, test_fraction),
    }
    partitions = {}
    for name, (start, stop, fraction) in bounds.items():
        if fraction == 0:
            continue
        if stop <= start:
            msg = (
                f"the {name} partition has no events ({fraction:g} of {n_events} events); "
                "use more events or a larger fraction"
            )
            raise GoldmineError(msg)
        partitions[name] = Partition(name, start, stop, n_events / (stop - start))  # type: ignore[arg-type]
    return partitions
