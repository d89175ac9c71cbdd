"""MadGraph's systematics weights (use_syst) as goldmine's scale variations, checked on real
MG5_aMC 3.5.7 output made with LHAPDF (tests/fixtures/mg5-systematics, README there): the run
card goldmine writes, the weights found by their meaning, the LHE rewritten with them, and the
weights against the generator's PDF and against MadGraph's own direct runs at other scales."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from goldmine.errors import InputFileError
from goldmine.generate.madgraph_cards import run_card
from goldmine.generate.madgraph_systematics import run_card_entries, variation_weight_ids
from goldmine.io.lhe_events import iter_lhe_events, read_lhe_header
from goldmine.io.lhe_writer import DerivedWeight, write_derived_weights
from goldmine.systematics import Variation

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "mg5-systematics"
SIGNAL = FIXTURE / "wh_wpos_syst_200.lhe.gz"  # W+h sampled at w_pos, MadGraph-reweighted to the 8 other benchmarks
TTBAR = FIXTURE / "tt_semilep_syst_200.lhe.gz"
VARIATIONS = {"mu_up": Variation(2.0, 2.0), "mu_down": Variation(0.5, 0.5), "mur_up": Variation(2.0, 1.0),
              "muf_up": Variation(1.0, 2.0)}
_DECLARATION = re.compile(r"<weight id=\"(\w+)\" MUR=\"([\d.]+)\"\s+MUF=\"([\d.]+)\"")


def _entry(card: str, key: str) -> list[str]:
    return re.findall(rf"^\s*([^#\s][^#\n]*?)\s*=\s*{key}\b", card, re.MULTILINE)


def test_the_run_card_asks_madgraph_for_the_declared_scales(examples) -> None:
    template = (examples / "cards" / "wh-ewdim6" / "run_card.dat").read_text()
    card = run_card(template, n_events=10, seed=1, beam_energy=6500.0, entries=run_card_entries(VARIATIONS))
    assert _entry(card, "use_syst") == ["True"] and _entry(card, "systematics_program") == ["systematics"]
    arguments = _entry(card, "systematics_arguments")
    assert arguments == ["['--mur=0.5,1.0,2.0', '--muf=0.5,1.0,2.0', '--together=mur,muf', '--dyn=-1', '--pdf=central']"]
    # the fixtures were made from exactly these entries: MadGraph's own copy of the run card
    assert _entry(read_lhe_header(SIGNAL).text, "systematics_arguments") == arguments
    assert _entry(read_lhe_header(TTBAR).text, "systematics_arguments") == arguments
    # only the factors asked for: mu x 2 alone needs mur and muf 1 and 2
    alone = run_card(template, n_events=10, seed=1, beam_energy=6500.0,
                     entries=run_card_entries({"up": Variation(2.0, 2.0)}))
    assert "--mur=1.0,2.0', '--muf=1.0,2.0'" in _entry(alone, "systematics_arguments")[0]
    # none declared: goldmine switches MadGraph's systematics off, whatever the template says
    on = template.replace("False\t= use_syst", "True\t= use_syst")
    assert _entry(run_card(on, n_events=10, seed=1, beam_energy=6500.0, entries=run_card_entries({})),
                  "use_syst") == ["False"]
    # a template without the entries gets them appended, once
    bare = "\n".join(line for line in template.splitlines() if "systematics_" not in line and "use_syst" not in line)
    appended = run_card(bare, n_events=10, seed=1, beam_energy=6500.0, entries=run_card_entries(VARIATIONS))
    assert _entry(appended, "systematics_arguments") == arguments and _entry(appended, "use_syst") == ["True"]


def test_variation_weights_are_found_by_their_meaning() -> None:
    header = read_lhe_header(SIGNAL).text
    declared = {weight_id: (float(mur), float(muf)) for weight_id, mur, muf in _DECLARATION.findall(header)}
    assert len(declared) == 8  # the 3 x 3 grid of mur, muf without the central one
    ids = variation_weight_ids(header, VARIATIONS, str(SIGNAL))
    assert {name: declared[weight_id] for name, weight_id in ids.items()} == {
        name: (v.renormalization, v.factorization) for name, v in VARIATIONS.items()}
    # renumbered and reordered declarations (another MadGraph run, other weights before them): same meaning
    renumbered = re.sub(r'<weight id="(\d+)"', lambda m: f'<weight id="{int(m.group(1)) + 40}"', header)
    lines = renumbered.splitlines()
    group = [i for i, line in enumerate(lines) if line.startswith('<weight id="')]
    lines[group[0]:group[-1] + 1] = reversed(lines[group[0]:group[-1] + 1])
    moved = variation_weight_ids("\n".join(lines), VARIATIONS, str(SIGNAL))
    assert moved == {name: str(int(weight_id) + 40) for name, weight_id in ids.items()}


def test_a_missing_variation_is_named(wh_fixtures) -> None:
    with pytest.raises(InputFileError, match=r"wh_wpos_syst_200.lhe.gz: no single MadGraph systematics weight for "
                                             r"mu_4 \(MUR=4, MUF=4\); the file declares 1: MUR=0.5 MUF=0.5"):
        variation_weight_ids(read_lhe_header(SIGNAL).text, {"mu_4": Variation(4.0, 4.0)}, str(SIGNAL))
    plain = wh_fixtures / "events_sm.lhe.gz"  # made with use_syst = False
    with pytest.raises(InputFileError, match=r"events_sm.lhe.gz: no single .* mu_up \(MUR=2, MUF=2\).*declares no "
                                             r"scale variations.*fail to load lhapdf"):
        variation_weight_ids(read_lhe_header(plain).text, VARIATIONS, str(plain))
    with pytest.raises(InputFileError, match="PDF-set variations are not read"):
        variation_weight_ids(read_lhe_header(SIGNAL).text, {"set": Variation(pdf_set="NNPDF31_lo_as_0130")},
                             str(SIGNAL))


def _mgrwt(path: Path) -> dict[str, np.ndarray]:
    """Each event's MadGraph record of its scales and partons (``<mgrwt>``): α_s power and
    μ_R (``<rscale>``), and per beam the parton, x and μ_F (``<pdfrwt>``)."""
    with gzip.open(path, "rt") as stream:
        text = stream.read()
    rscale = np.array(re.findall(r"<rscale>\s*(\d+)\s+(\S+)</rscale>", text), dtype=float)
    beams = {int(b): np.array(re.findall(rf'<pdfrwt beam="{b}">\s*1\s+(\S+)\s+(\S+)\s+(\S+)</pdfrwt>', text),
                              dtype=float) for b in (1, 2)}
    return {"n_qcd": rscale[:, 0], "mu_r": rscale[:, 1],
            **{f"{key}{b}": beams[b][:, column] for b in (1, 2) for column, key in enumerate(("id", "x", "mu_f"))}}


@pytest.mark.parametrize("path, n_qcd", [(SIGNAL, 0), (TTBAR, 2)])
def test_madgraphs_scale_weights_are_ratios_of_the_generators_pdf_and_alpha_s(path, n_qcd) -> None:
    """MG5_aMC's μ_F × 2 weight over XWGTUP is the ratio of the generation PDF at 2 μ_F and
    μ_F (goldmine's reader of the same NNPDF2.3 LO grid, through Pythia, which the built-in
    generator varies with) for each event's partons and x; its μ_R × 2 weight is the ratio
    of α_s to the power of the process's order: 1 for W h, MadGraph's two-loop α_s² for tt̄."""
    import pythia8mc

    from goldmine.generate.variations import pdf_only, pdf_xf

    record = _mgrwt(path)
    assert np.all(record["n_qcd"] == n_qcd)
    (header, chunk), = iter_lhe_events(path)
    ids = variation_weight_ids(header.text, VARIATIONS, str(path))
    ratio = {name: chunk.weights[:, header.weight_names.index(weight_id)] / chunk.nominal
             for name, weight_id in ids.items()}
    owner, pdf = pdf_only()
    expected = np.ones(len(chunk))
    for beam in (1, 2):
        ids_b, x, mu_f = record[f"id{beam}"].astype(int), record[f"x{beam}"], record[f"mu_f{beam}"]
        expected *= pdf_xf(pdf, ids_b, x, (2 * mu_f) ** 2) / pdf_xf(pdf, ids_b, x, mu_f**2)
    # LHAPDF and Pythia interpolate the same grid differently: 1e-4; a factor 1.9 in place of 2 is off by 3e-3
    np.testing.assert_allclose(ratio["muf_up"], expected, rtol=5e-4)
    alpha_s = pythia8mc.AlphaStrong()
    alpha_s.init(0.130, 2, 5, False)  # MadGraph's nn23lo1: alpha_s(MZ) = 0.130, two loops, five flavours
    running = np.array([alpha_s.alphaS((2 * q) ** 2) / alpha_s.alphaS(q**2) for q in record["mu_r"].tolist()])
    np.testing.assert_allclose(ratio["mur_up"], running**n_qcd, rtol=2e-3)  # Pythia's 2-loop formula vs an ODE
    if n_qcd:
        assert np.all(ratio["mur_up"] < 0.9)  # tt̄ does depend on α_s: the check above is not trivially 1


def test_ttbar_cross_sections_from_the_weights_equal_madgraphs_direct_runs() -> None:
    """σ(tt̄) at μ_R, μ_F × 2 and × ½ from the weights of the central run equals MadGraph's
    separate runs with scalefact = 2 and 0.5 (cross_sections.json) within their errors."""
    runs = json.loads((FIXTURE / "cross_sections.json").read_text())["tt_semilep"]
    (header, chunk), = iter_lhe_events(TTBAR)
    ids = variation_weight_ids(header.text, VARIATIONS, str(TTBAR))
    central = runs["central"]
    for name, direct in (("mu_up", runs["scalefact_2"]), ("mu_down", runs["scalefact_0.5"])):
        ratio = chunk.weights[:, header.weight_names.index(ids[name])] / chunk.nominal
        sigma = central["sigma_pb"] * ratio.mean()
        error = np.sqrt((central["error_pb"] * ratio.mean()) ** 2 + (sigma * ratio.std() / ratio.mean()) ** 2 / len(ratio)
                        + direct["error_pb"] ** 2)
        assert abs(sigma - direct["sigma_pb"]) < 3 * error, (name, sigma, direct, error)
        assert abs(sigma - central["sigma_pb"]) > 20 * error  # the variation is resolved, not within the errors


def test_derived_weights_carry_the_variations_to_a_benchmark(tmp_path) -> None:
    """The job's LHE: MadGraph's reweighting weight at sm copied as MadGraph wrote it, and
    the variation moved to sm: w_sm × w_var / XWGTUP; MadGraph's other weights gone, its
    event records (particles, <mgrwt>) unchanged."""
    (header, original), = iter_lhe_events(SIGNAL)
    ids = variation_weight_ids(header.text, VARIATIONS, str(SIGNAL))
    written = tmp_path / "events.lhe.gz"
    weights = [DerivedWeight("sm", "sm"), DerivedWeight("mu_up_at_sm", "sm", ids["mu_up"]),
               DerivedWeight("mu_up_at_w_pos", None, ids["mu_up"]), DerivedWeight("w_pos")]
    assert write_derived_weights(SIGNAL, written, weights, weight_labels={"sm": "CWL2=0 CPWL2=0"}) == 200
    (new_header, chunk), = iter_lhe_events(written)
    assert new_header.weight_names == ("sm", "mu_up_at_sm", "mu_up_at_w_pos", "w_pos")
    column = {name: original.weights[:, header.weight_names.index(name)] for name in ("sm", ids["mu_up"])}
    assert np.array_equal(chunk.nominal, original.nominal) and np.array_equal(chunk.weights[:, 0], column["sm"])
    np.testing.assert_allclose(chunk.weights[:, 1], column["sm"] * column[ids["mu_up"]] / original.nominal, rtol=1e-10)
    np.testing.assert_allclose(chunk.weights[:, 2], column[ids["mu_up"]], rtol=1e-10)
    assert np.array_equal(chunk.weights[:, 3], original.nominal)
    assert ak.all(chunk.particles.px == original.particles.px) and ak.all(chunk.particles.pid == original.particles.pid)
    with gzip.open(written, "rt") as stream:
        text = stream.read()
    with gzip.open(SIGNAL, "rt") as stream:
        source = stream.read()
    assert text.count("<mgrwt>") == source.count("<mgrwt>") == 200
    assert re.findall(r"<event>.*?<mgrwt>", text, re.DOTALL) == re.findall(r"<event>.*?<mgrwt>", source, re.DOTALL)
    assert "MUR=" not in text.split("<event>", 1)[0].split("<initrwgt>", 1)[1]
    assert "<weight id='sm'> CWL2=0 CPWL2=0 </weight>" in text


def test_derived_weights_refuse_a_weight_that_is_not_finite_or_not_there(tmp_path) -> None:
    with gzip.open(SIGNAL, "rt") as stream:
        text = stream.read()
    events = text.split("</event>")
    events[3] = re.sub(r"<wgt id='8'> \S+ </wgt>", "<wgt id='8'> nan </wgt>", events[3])
    broken = tmp_path / "broken.lhe.gz"
    with gzip.open(broken, "wt") as stream:
        stream.write("</event>".join(events))
    with pytest.raises(InputFileError, match=r"broken.lhe.gz: event 3: weight '8' nan over XWGTUP .* no finite weight "
                                             r"'mu_up'"):
        write_derived_weights(broken, tmp_path / "out.lhe.gz", [DerivedWeight("mu_up", "sm", "8")])
    with pytest.raises(InputFileError, match=r"wh_wpos_syst_200.lhe.gz: declares no weight '99'"):
        write_derived_weights(SIGNAL, tmp_path / "out.lhe.gz", [DerivedWeight("mu_up", "sm", "99")])


def test_derived_weights_refuse_an_event_without_xwgtup(tmp_path) -> None:
    with gzip.open(SIGNAL, "rt") as stream:
        text = stream.read()
    events = text.split("</event>")
    events[4] = events[4][: events[4].index("<event>")] + "<event>\n"  # event 4 holds nothing
    broken = tmp_path / "broken.lhe.gz"
    with gzip.open(broken, "wt") as stream:
        stream.write("</event>".join(events))
    with pytest.raises(InputFileError, match=r"broken.lhe.gz: an event among 0 … 199 has no XWGTUP"):
        write_derived_weights(broken, tmp_path / "out.lhe.gz", [DerivedWeight("sm", "sm")])
