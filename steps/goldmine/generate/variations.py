"""Scale and PDF-set variations of Pythia's hard processes, exact per event.

At leading order an event's weight is f₁(x₁, Q_F²) f₂(x₂, Q_F²) α_s(Q_R²)ⁿ α_EM(Q_R²)ᵐ |M̂|² / flux,
n and m the process's powers of the couplings (W h: 0 and 2; t t̄: 2 and 0). Pythia runs both
couplings at the renormalisation scale (``SigmaProcess:alphaSorder``, ``alphaEMorder``). With
μ_F → k_F μ_F and μ_R → k_R μ_R (Q² → k² Q²) the weight is multiplied by

    f₁(x₁, k_F² Q_F²) f₂(x₂, k_F² Q_F²) / (f₁(x₁, Q_F²) f₂(x₂, Q_F²))
        · (α_s(k_R² Q_R²) / α_s(Q_R²))ⁿ · (α_EM(k_R² Q_R²) / α_EM(Q_R²))ᵐ

with the PDF Pythia sampled from (its own grid object) and its hard-process couplings (the
same settings); each is first checked to give Pythia's central values of every event
exactly. Another PDF set f′ multiplies it by f′₁(x₁, Q_F²) f′₂(x₂, Q_F²) / (f₁(x₁, Q_F²) f₂(x₂, Q_F²)),
f′ read by Pythia from its own LHAPDF6 grid (α_s of the hard process stays Pythia's setting).
The shower is not varied: its uncertainty is another systematic (Pythia's variations).

Pythia evaluates a PDF one point per call (≈ 1 µs through its binding), so this loops over the
events in Python: two μ variations cost ≈ 5 µs per event against ≈ 120 µs for the hard process
(≈ 13 ms per showered event; benchmarks/variation_weights.py), too little for a second,
vectorised PDF reader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from goldmine.systematics import Variation

__all__ = ["CouplingOrders", "pdf_of_set", "pdf_only", "pdf_xf", "variation_ratios"]

_PROTON = 2212


@dataclass(frozen=True)
class CouplingOrders:
    """Powers of α_s and α_EM in a process's leading-order matrix element."""

    alpha_s: int
    alpha_em: int


def variation_ratios(pythia: Any, info: dict[str, np.ndarray], variations: Sequence[Variation],
                     orders: CouplingOrders) -> np.ndarray:
    """w(variation) / w (n, V) of the events whose Pythia ``info`` (goldmine.generate.builtin.
    INFO_FIELDS) is given, for each variation (V,). Raises RuntimeError when Pythia's PDF or
    couplings do not reproduce an event's central values (another PDF for the hard process),
    or when a PDF set is not among Pythia's."""
    import pythia8mc

    settings = pythia.settings
    pdf = pythia.getPDFPtr(_PROTON)
    alpha_s = pythia8mc.AlphaStrong()
    alpha_s.init(settings.parm("SigmaProcess:alphaSvalue"), settings.mode("SigmaProcess:alphaSorder"),
                 settings.mode("StandardModel:alphaSnfmax"), False)
    alpha_em = pythia8mc.AlphaEM()
    alpha_em.init(settings.mode("SigmaProcess:alphaEMorder"), settings)
    couplings = [(alpha_s.alphaS, info["alphaS"], orders.alpha_s, "alpha_s"),
                 (alpha_em.alphaEM, info["alphaEM"], orders.alpha_em, "alpha_EM")]
    partons = [(info["id1"], info["x1"], info["pdf1"]), (info["id2"], info["x2"], info["pdf2"])]
    for beam, (ids, x, central) in enumerate(partons, start=1):
        _check(pdf_xf(pdf, ids, x, info["Q2Fac"]), central, f"the PDF of beam {beam}")
    for coupling, central, power, name in couplings:
        if power:
            _check(_each(coupling, info["Q2Ren"]), central, f"{name} of the hard process")
    ratios = np.ones((len(info["x1"]), len(variations)))
    for column, variation in enumerate(variations):
        if variation.pdf_set is not None:
            owner, other = pdf_of_set(variation.pdf_set)  # the owner holds the grid while it is read
            for ids, x, central in partons:
                ratios[:, column] *= pdf_xf(other, ids, x, info["Q2Fac"]) / central
        if variation.factorization != 1.0:
            q2 = variation.factorization**2 * info["Q2Fac"]
            for ids, x, central in partons:
                ratios[:, column] *= pdf_xf(pdf, ids, x, q2) / central
        if variation.renormalization != 1.0:
            q2 = variation.renormalization**2 * info["Q2Ren"]
            for coupling, central, power, _ in couplings:
                if power:
                    ratios[:, column] *= (_each(coupling, q2) / central) ** power
    return ratios


def pdf_only(settings: Sequence[str] = (), *, what: str = "Pythia's PDF", pythia: Any = None) -> tuple[Any, Any]:
    """A Pythia instance that initialises only its PDFs (with extra ``settings``, e.g. another
    ``PDF:pSet``) and its proton PDF, used while that instance lives; ``pythia``: an instance
    to initialise instead of a new one. Raises RuntimeError naming ``what``."""
    import pythia8mc

    pythia = pythia if pythia is not None else pythia8mc.Pythia("", False)
    for setting in ("ProcessLevel:all = off", "Print:quiet = on", *settings):
        if not pythia.readString(setting):
            raise RuntimeError(f"{what}: Pythia 8 refused the setting {setting!r}")
    if not pythia.init():
        raise RuntimeError(f"{what}: Pythia 8 could not initialise it ({', '.join(settings) or 'its defaults'})")
    return pythia, pythia.getPDFPtr(_PROTON)


def pdf_of_set(name: str) -> tuple[Any, Any]:
    """:func:`pdf_only` from the LHAPDF6 grid ``<name>_0000.dat`` (the central member) in
    Pythia's PDF data. Raises RuntimeError naming the set and the sets Pythia has."""
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)
    folder = (Path(pythia.settings.word("xmlPath")).parent / "pdfdata").resolve()
    grid = f"{name}_0000.dat"
    if not (folder / grid).is_file():
        shipped = sorted(p.name[: -len("_0000.dat")] for p in folder.glob("*_0000.dat"))
        raise RuntimeError(f"PDF set {name!r}: Pythia's PDF data ({folder}) has no {grid}; its sets: "
                           f"{', '.join(shipped)}")
    return pdf_only([f"PDF:pSet = LHAGrid1:{grid}"], what=f"PDF set {name!r} ({folder / grid})", pythia=pythia)


def pdf_xf(pdf: Any, ids: np.ndarray, x: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """x f(x, Q²) of a Pythia PDF object for each (parton id, x, Q² in GeV²) of the (n,) arrays."""
    return np.array([pdf.xf(i, xi, qi) for i, xi, qi in zip(ids.tolist(), x.tolist(), q2.tolist())])


def _each(coupling: Callable[[float], float], q2: np.ndarray) -> np.ndarray:
    return np.array([coupling(qi) for qi in q2.tolist()])


def _check(recomputed: np.ndarray, central: np.ndarray, what: str) -> None:
    mismatch = ~np.isclose(recomputed, central, rtol=1e-9, atol=0.0)
    if mismatch.any():
        event = int(np.argmax(mismatch))
        raise RuntimeError(f"scale variations: {what} gives {recomputed[event]:.10g} for event {event}, where Pythia "
                           f"used {central[event]:.10g}; the variation weights would not be exact (a separate PDF "
                           "for the hard process, PDF:useHard, is not supported)")
