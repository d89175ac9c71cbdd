"""A training step replayed as one CUDA graph.

On a GPU, a step of the small networks trained here (forward, loss, backward, gradient
clipping, optimizer update: some 60 kernels of a few microseconds each) costs mostly
kernel launches from Python. :class:`GraphedStep` captures the whole step once for a
fixed batch size and then replays it with one launch: each batch is copied into the
captured input tensors, the graph replays, and the loss terms are read from its output
tensor. Every batch still gets exactly one optimizer step: the first few run eagerly on
a side stream (the warm-up torch requires before a capture), the capture itself
executes nothing, and its batch is then replayed. The optimizer must be ``capturable``
(learning rate and step count in device tensors); the gradients live in one buffer
(:func:`goldmine.inference.optimizers.flat_parameter`) that the step zeroes and its
backward pass accumulates into, so the captured step reads and writes fixed memory.

Why not ``torch.compile(mode="reduce-overhead")``, which also replays CUDA graphs: it
compiles every model, method and batch shape with Inductor at run time (a Triton
toolchain in the train image, and a first epoch that waits for it), and the ratio
estimators' losses need second derivatives (a loss of ∇_θ log r̂, by autograd with
``create_graph``), which torch.compile does not trace. Capturing the eager step needs
neither.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

__all__ = ["GraphedStep"]

Step = Callable[[Mapping[str, torch.Tensor]], torch.Tensor]


class GraphedStep:
    """``step(batch) -> loss terms`` for batches of one size, replayed from a CUDA graph
    after ``warmup`` eager calls; returns the terms in a tensor that the next call
    overwrites (copy it to keep it)."""

    def __init__(self, step: Step, warmup: int = 3) -> None:
        self.step = step
        self.warmup = warmup
        self.calls = 0
        self.inputs: dict[str, torch.Tensor] | None = None
        self.graph: torch.cuda.CUDAGraph | None = None
        self.terms: torch.Tensor | None = None
        self.stream = torch.cuda.Stream()

    def __call__(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        if self.inputs is None:
            self.inputs = {name: torch.empty_like(values) for name, values in batch.items()}
        for name, values in batch.items():
            self.inputs[name].copy_(values)
        self.calls += 1
        if self.graph is None and self.calls <= self.warmup:
            self.stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(self.stream):
                terms = self.step(self.inputs)
            torch.cuda.current_stream().wait_stream(self.stream)
            return terms
        if self.graph is None:
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self.terms = self.step(self.inputs)
        self.graph.replay()
        return self.terms  # type: ignore[return-value]
