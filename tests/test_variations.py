"""Scale-variation weights of the built-in generator against direct Pythia runs at the
varied scales: σ and the p_T distribution of the W (or top) from the weights of one
central run agree with separate runs made with ``SigmaProcess:factorMultFac`` /
``renormMultFac`` = 4 (Pythia's factors multiply Q², so 4 is μ × 2)."""

from __future__ import annotations

import numpy as np
import pytest

from goldmine.generate.backgrounds import PROCESSES, background_settings
from goldmine.generate.builtin import MB_TO_PB, WH_COUPLING_ORDERS, pythia_settings, run_pythia
from goldmine.generate.variations import CouplingOrders, variation_ratios
from goldmine.systematics import Variation

N_EVENTS = 12_000
VARIATIONS = {"muf x 2": Variation(1.0, 2.0), "mur x 2": Variation(2.0, 1.0), "both x 2": Variation(2.0, 2.0),
              "both x 1/2": Variation(0.5, 0.5)}
PYTHIA_FACTORS = {"muf x 2": ("SigmaProcess:factorMultFac = 4",), "mur x 2": ("SigmaProcess:renormMultFac = 4",),
                  "both x 2": ("SigmaProcess:factorMultFac = 4", "SigmaProcess:renormMultFac = 4"),
                  "both x 1/2": ("SigmaProcess:factorMultFac = 0.25", "SigmaProcess:renormMultFac = 0.25")}
PT_EDGES = np.array([0.0, 40.0, 80.0, 130.0, 200.0, np.inf])


def _run(settings: list[str], seed: int) -> tuple[np.ndarray, np.ndarray, float, float, object, dict]:
    """p_T of the first W or top of each hard process (GeV), event weights, σ ± error (pb)."""
    records, info, pythia = run_pythia(settings, N_EVENTS, seed=seed, shat_bias=0.0, hepmc=None, undecayed=(25,),
                                       process_name="test")
    pt = np.array([next(np.hypot(m[0], m[1]) for pid, m in zip(r[0], r[4]) if abs(pid) in (6, 24)) for r in records])
    run_info = pythia.infoPython()
    sigma, error = run_info.sigmaGen() * MB_TO_PB, run_info.sigmaErr() * MB_TO_PB
    return pt, info["weights"] / info["weights"].sum() * sigma, sigma, error, pythia, info


def _compare(settings: list[str], orders: CouplingOrders) -> dict[str, float]:
    """Per variation, the pull of σ from the weights against the direct run, and the χ² per
    bin of their p_T distributions (fractions of σ per bin, each with its own error)."""
    pt, weights, sigma, error, pythia, info = _run(settings, 1)
    ratios = variation_ratios(pythia, info, tuple(VARIATIONS.values()), orders)
    shifts = {}
    for column, (name, extra) in enumerate(PYTHIA_FACTORS.items()):
        varied = weights * ratios[:, column]
        sigma_weights = varied.sum()
        sigma_error = sigma_weights * error / sigma
        direct_pt, direct_weights, direct_sigma, direct_error, _, _ = _run([*settings, *extra], 2 + column)
        pull = (sigma_weights - direct_sigma) / np.hypot(sigma_error, direct_error)
        mine = np.histogram(pt, PT_EDGES, weights=varied)[0] / sigma_weights
        mine_error = np.sqrt(np.histogram(pt, PT_EDGES, weights=varied**2)[0]) / sigma_weights
        theirs = np.histogram(direct_pt, PT_EDGES, weights=direct_weights)[0] / direct_sigma
        theirs_error = np.sqrt(np.histogram(direct_pt, PT_EDGES)[0]) / len(direct_pt)
        chi2 = float(np.sum((mine - theirs) ** 2 / (mine_error**2 + theirs_error**2)) / len(mine))
        assert abs(pull) < 4.0, f"{name}: sigma {sigma_weights:.5g} from weights, {direct_sigma:.5g} direct"
        assert chi2 < 4.0, f"{name}: pT distributions differ, chi2/bin {chi2:.2f}"
        shifts[name] = sigma_weights / sigma - 1
        print(f"{name}: sigma x {1 + shifts[name]:.4f} from weights (pull {pull:+.2f}, chi2/bin {chi2:.2f})")
    return shifts


@pytest.mark.parametrize("process", ["wh", "ttbar"])
def test_scale_weights_agree_with_pythia_runs_at_the_varied_scales(process) -> None:
    """W h (α_EM², no α_s: μ_R × 2 moves σ by Pythia's running α_EM, + 1.5 %; μ_F × 2 by + 3 %)
    and t t̄ (α_s²: μ_R × 2 lowers σ by ~ 15 %), each variation against its own Pythia run; the
    t t̄ shifts are large beside the statistical errors, so agreement is a real test there."""
    if process == "wh":
        shifts = _compare(pythia_settings(6500.0, "both", shower=False), WH_COUPLING_ORDERS)
        assert 0.005 < shifts["mur x 2"] < 0.03
        assert 0.005 < abs(shifts["muf x 2"]) < 0.1
    else:
        settings = background_settings("ttbar_semileptonic_lplus", 6500.0, 0.0, (), shower=False)
        shifts = _compare(settings, PROCESSES["ttbar_semileptonic_lplus"].orders)
        assert -0.3 < shifts["mur x 2"] < -0.1 and shifts["both x 1/2"] > 0.1


def test_a_hard_process_pdf_pythia_does_not_report_is_refused() -> None:
    """With a separate PDF for the hard process the beam's PDF no longer reproduces the events'
    central values: the weights would be wrong, so the variation stops, naming the event."""
    settings = [*pythia_settings(6500.0, "both", shower=False), "PDF:useHard = on", "PDF:pHardSet = 2"]
    records, info, pythia = run_pythia(settings, 200, seed=3, shat_bias=0.0, hepmc=None, undecayed=(25,),
                                       process_name="test")
    with pytest.raises(RuntimeError, match=r"the PDF of beam 1 gives .* for event 0, where Pythia used"):
        variation_ratios(pythia, info, (VARIATIONS["muf x 2"],), WH_COUPLING_ORDERS)


def test_pdf_set_weights_agree_with_a_pythia_run_with_that_set() -> None:
    """W h with NNPDF3.1 LO (α_s 0.130) in place of Pythia's NNPDF2.3 LO: σ and p_T(W) from the
    weights of a central run agree with a run made with that PDF set."""
    settings = pythia_settings(6500.0, "both", shower=False)
    pt, weights, sigma, error, pythia, info = _run(settings, 1)
    (ratios,) = variation_ratios(pythia, info, (Variation(pdf_set="NNPDF31_lo_as_0130"),), WH_COUPLING_ORDERS).T
    direct_pt, direct_weights, direct_sigma, direct_error, _, _ = _run(
        [*settings, "PDF:pSet = LHAGrid1:NNPDF31_lo_as_0130_0000.dat"], 2)
    varied = weights * ratios
    pull = (varied.sum() - direct_sigma) / np.hypot(varied.sum() * error / sigma, direct_error)
    mine = np.histogram(pt, PT_EDGES, weights=varied)[0] / varied.sum()
    theirs = np.histogram(direct_pt, PT_EDGES, weights=direct_weights)[0] / direct_sigma
    errors = np.hypot(np.sqrt(np.histogram(pt, PT_EDGES, weights=varied**2)[0]) / varied.sum(),
                      np.sqrt(np.histogram(direct_pt, PT_EDGES)[0]) / len(direct_pt))
    print(f"PDF set: sigma x {varied.sum() / sigma:.4f} (pull {pull:+.2f})")
    assert abs(pull) < 4.0 and np.mean(((mine - theirs) / errors) ** 2) < 4.0
    assert abs(varied.sum() / sigma - 1) > 0.01  # a visible change, so the agreement means something


def test_an_unknown_pdf_set_is_refused_naming_it_and_the_sets_pythia_has() -> None:
    from goldmine.generate.variations import pdf_of_set

    with pytest.raises(RuntimeError, match=r"PDF set 'CT10': Pythia's PDF data .* has no CT10_0000.dat; its sets: "
                                           r".*NNPDF31_lo_as_0130"):
        pdf_of_set("CT10")
