"""goldmine: MadMiner's "mining gold" inference methods as a reproducible workflow.

The chain runs as nine stages (configure, generate, delphes, observables, combine,
augment, train, evaluate, plot), each a ``goldmine`` sub-command over this library.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
