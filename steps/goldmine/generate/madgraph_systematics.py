"""MadGraph5_aMC's systematics weights as the weights of goldmine's scale variations.

goldmine owns the run card's ``use_syst``: on, with ``systematics_arguments`` asking
MadGraph's systematics module (``systematics_program = systematics``, Python, which needs
LHAPDF and the generation PDF set) for exactly the μ_R and μ_F factors the analysis
declares, at the generation PDF and dynamical scale; off when it declares none. The module
recomputes each event's weight at the varied scales from the PDFs and α_s at the event's
own scales (its ``<mgrwt>`` record) and writes one ``<rwgt>`` weight per variation,
declared with its meaning::

    <weightgroup name="Central scale variation" combine="envelope">
    <weight id="4" MUR="2.0" MUF="1.0" PDF="247000" > MUR=2.0  </weight>

A variation's weight is found by that meaning (``MUR``, ``MUF``; no ``ALPSFACT`` or
``DYN_SCALE``; at the generation PDF, which is the only one in that group), never by its
position or numeric id. MadGraph exits 0 when the module cannot run (no LHAPDF, no PDF
set), leaving the file without the weights: :func:`variation_weight_ids` then names what
is missing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from goldmine.errors import InputFileError
from goldmine.systematics import Variation

__all__ = ["run_card_entries", "variation_weight_ids"]

#: MadGraph's name for the weight group of scale variations at the generation PDF.
CENTRAL_SCALE_GROUP = "Central scale variation"

_GROUP = re.compile(r"<weightgroup\b([^>]*)>(.*?)</weightgroup>", re.DOTALL)
_WEIGHT = re.compile(r"<weight\b([^>]*)>([^<]*)</weight>")
_ATTRIBUTE = re.compile(r"(\w+)\s*=\s*['\"]([^'\"]*)['\"]")


def run_card_entries(variations: Mapping[str, Variation]) -> dict[str, str]:
    """Run-card entries (key → value as MadGraph writes it) that make MadGraph write the
    weights of the scale ``variations`` (nuisance benchmark → variation), or switch its
    systematics off when there are none."""
    if not variations:
        return {"use_syst": "False"}
    renormalization = sorted({1.0, *(v.renormalization for v in variations.values())})
    factorization = sorted({1.0, *(v.factorization for v in variations.values())})
    arguments = [f"--mur={','.join(map(repr, renormalization))}", f"--muf={','.join(map(repr, factorization))}",
                 "--together=mur,muf", "--dyn=-1", "--pdf=central"]
    return {"use_syst": "True", "systematics_program": "systematics",
            "systematics_arguments": "[" + ", ".join(f"'{a}'" for a in arguments) + "]"}


def variation_weight_ids(initrwgt: str, variations: Mapping[str, Variation], source: str) -> dict[str, str]:
    """The id of MadGraph's weight (in the header text ``initrwgt``) holding each of the
    ``variations`` (nuisance benchmark → variation). Raises InputFileError naming
    ``source``, the variations without a weight and the scale weights the file has."""
    declared = []  # (id, attributes, group name)
    for group_attributes, body in _GROUP.findall(initrwgt):
        group = dict(_ATTRIBUTE.findall(group_attributes)).get("name", "")
        declared += [(attrs.get("id", ""), attrs, group)
                     for attrs in (_attributes(tag) for tag, _ in _WEIGHT.findall(body))]
    ids, missing = {}, []
    for benchmark, variation in variations.items():
        if variation.pdf_set is not None:
            raise InputFileError(f"{source}: {benchmark}: PDF-set variations are not read from MadGraph's "
                                 "systematics weights")
        found = [(weight_id, group) for weight_id, attrs, group in declared if _is_scale(attrs, variation)]
        if len(found) > 1:
            found = [(weight_id, group) for weight_id, group in found if group == CENTRAL_SCALE_GROUP]
        if len(found) != 1:
            missing.append(f"{benchmark} (MUR={variation.renormalization:g}, MUF={variation.factorization:g}"
                           f"{', found ' + str(len(found)) + ' weights' if found else ''})")
            continue
        ids[benchmark] = found[0][0]
    if missing:
        scales = [f"{weight_id}: MUR={attrs.get('MUR')} MUF={attrs.get('MUF')}"
                  for weight_id, attrs, _ in declared if "MUR" in attrs]
        raise InputFileError(f"{source}: no single MadGraph systematics weight for {', '.join(missing)}; the file "
                             f"declares {'; '.join(scales) or 'no scale variations'} (MadGraph writes them with "
                             "use_syst = True when its systematics module finds LHAPDF and the generation PDF set; "
                             "its log says 'fail to load lhapdf' otherwise)")
    return ids


def _attributes(tag: str) -> dict[str, str]:
    return {key.upper() if key != "id" else key: value for key, value in _ATTRIBUTE.findall(tag)}


def _is_scale(attributes: Mapping[str, str], variation: Variation) -> bool:
    """The weight holds μ_R × k_R, μ_F × k_F at the generation's PDF, α_s emission factor and
    dynamical scale."""
    if "ALPSFACT" in attributes or "DYN_SCALE" in attributes:
        return False
    try:
        return (math.isclose(float(attributes["MUR"]), variation.renormalization, rel_tol=1e-9)
                and math.isclose(float(attributes["MUF"]), variation.factorization, rel_tol=1e-9))
    except (KeyError, ValueError):
        return False
