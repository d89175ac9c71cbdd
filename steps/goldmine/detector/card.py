"""The built-in detector's card: efficiencies, resolutions, isolation, jets, b-tagging.

The defaults (``cms.yml`` beside this module) follow Delphes' CMS card. A user card
has the same layout and replaces the defaults section by section.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from goldmine.config.yaml_text import load_yaml
from goldmine.errors import ConfigError
from goldmine.expressions import ExpressionError, compile_arithmetic

__all__ = ["DEFAULT_CARD", "Bin", "DetectorCard", "Formula", "JetInputs", "Resolution", "Towers", "load_card"]

DEFAULT_CARD = Path(__file__).with_name("cms.yml")


@dataclass(frozen=True)
class Bin:
    eta_max: float
    pt_min: float
    value: float


@dataclass(frozen=True)
class Formula:
    """A number or a formula in ``pt`` (GeV) and ``eta``, as Delphes cards write them
    (``0.85*tanh(0.0025*pt)*(25.0/(1+0.063*pt))``); evaluated on arrays."""

    text: str
    evaluate: Any

    def __call__(self, pt: np.ndarray, eta: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.evaluate({"pt": pt, "eta": eta}), np.shape(pt)).astype(np.float64)

    @classmethod
    def parse(cls, value: Any, key: str, *, low: float, high: float) -> Formula:
        """``value`` as a formula whose values over pT in [0.1, 5000] GeV and |η| < 5
        lie in [low, high] (errors name ``key``)."""
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(key, f"expected a number or a formula in pt and eta, got {value!r}")
        try:
            formula = cls(str(value), compile_arithmetic(str(value), ("pt", "eta")))
        except ExpressionError as err:
            raise ConfigError(key, str(err)) from None
        pt, eta = np.meshgrid(np.geomspace(0.1, 5000.0, 200), np.linspace(-5.0, 5.0, 41))
        with np.errstate(all="ignore"):
            values = formula(pt.ravel(), eta.ravel())
        if not np.all(np.isfinite(values) & (values >= low) & (values <= high)):
            raise ConfigError(key, f"{value!r} leaves [{low:g}, {high:g}] for some pT in [0.1, 5000] GeV, |eta| < 5")
        return formula


@dataclass(frozen=True)
class Resolution:
    """σ(E) = sqrt((constant·E)² + stochastic²·E + noise²), or for ``pt_resolution``
    σ(pT) = pT·sqrt(constant² + (slope·pT)²); unused fields are 0."""

    constant: float = 0.0
    stochastic: float = 0.0
    noise: float = 0.0
    slope: float = 0.0


@dataclass(frozen=True)
class Isolation:
    """Isolated if Σ pT of other visible particles within ``delta_r`` < ``pt_ratio_max`` · pT."""

    delta_r: float
    pt_ratio_max: float


@dataclass(frozen=True)
class Lepton:
    """``efficiency``: identification (times tracking where no ``tracking`` table is given);
    ``tracking``: the tracker's efficiency for electrons, whose misses the ECal sees alone."""

    efficiency: tuple[Bin, ...]
    resolution: Resolution
    resolution_of: str  # "energy" or "pt"
    isolation: Isolation
    tracking: tuple[Bin, ...] = ()


@dataclass(frozen=True)
class JetInputs:
    """What of the visible final state the jets are clustered from, as Delphes' particle flow
    keeps it: charged particles inside the tracker (|η| < ``tracker_eta_max``) as tracks above
    ``track_pt_min``; the rest as calorimeter deposits above the ECal's ``ecal_energy_min``
    (photons, electrons) or the HCal's ``hcal_energy_min`` (hadrons; muons leave none).
    The defaults keep every particle."""

    tracker_eta_max: float = float("inf")
    track_pt_min: float = 0.0
    ecal_energy_min: float = 0.0
    hcal_energy_min: float = 0.0


@dataclass(frozen=True)
class Jets:
    radius: float
    pt_min: float
    eta_max: float
    calorimeter_eta_max: float
    energy_resolution: Resolution
    energy_scale: Formula  # Delphes' JetEnergyScale, which sets the cut on particle-level jets
    response: Formula  # reconstructed / particle-level jet momentum, in pt and eta
    inputs: JetInputs = JetInputs()


@dataclass(frozen=True)
class Towers:
    """Calorimeter cells of ``tower_eta`` × ``tower_phi`` (radians): the photons that hit one
    cell are one photon candidate, as Delphes' ECal towers merge them (a π⁰'s two photons)."""

    tower_eta: float
    tower_phi: float


@dataclass(frozen=True)
class BTag:
    """A jet's flavour is b (c) if a b (c) quark with pT > 1 GeV and |η| < ``eta_max`` lies
    within ``delta_r``, else light; it is tagged with its flavour's ``efficiency``."""

    delta_r: float
    eta_max: float
    efficiency: dict[str, Formula]


@dataclass(frozen=True)
class DetectorCard:
    electron: Lepton
    muon: Lepton
    photon: Lepton
    jet: Jets
    btag: BTag
    ecal: Towers
    source: str


def _build(kind: type, raw: Any, key: str, **built: Any) -> Any:
    """``kind`` from the mapping ``raw`` of numbers (errors name ``key``); ``built``
    supplies the fields that are not numbers, such as a nested resolution."""
    if not isinstance(raw, dict):
        raise ConfigError(key, f"expected a mapping, got {raw!r}")
    names = {f.name for f in fields(kind)} - set(built)
    unknown = sorted(set(raw) - names)
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(names))})")
    try:
        values = {name: float(value) for name, value in raw.items()}
        return kind(**values, **built)
    except (TypeError, ValueError) as err:
        raise ConfigError(key, str(err)) from None


def _lepton(raw: dict[str, Any], key: str) -> Lepton:
    resolution_of = "pt" if "pt_resolution" in raw else "energy"
    resolution = _build(Resolution, raw.get(f"{resolution_of}_resolution"), f"{key}.{resolution_of}_resolution")
    tracking = _table(raw["tracking"], f"{key}.tracking") if "tracking" in raw else ()
    return Lepton(_table(raw.get("efficiency"), f"{key}.efficiency"), resolution, resolution_of,
                  _build(Isolation, raw.get("isolation"), f"{key}.isolation"), tracking)


def _table(table: Any, key: str) -> tuple[Bin, ...]:
    """An efficiency table: a list of {eta_max, pt_min, value} bins of probabilities."""
    if not isinstance(table, list) or not table:
        raise ConfigError(key, "expected a list of {eta_max, pt_min, value} bins")
    bins = tuple(_build(Bin, entry, f"{key}[{i}]") for i, entry in enumerate(table))
    for i, b in enumerate(bins):
        if not 0.0 <= b.value <= 1.0:
            raise ConfigError(f"{key}[{i}].value", f"{b.value} is not a probability")
    return bins


def load_card(path: str | Path | None = None) -> DetectorCard:
    """The default card, with the sections of ``path`` (if given) replacing its own."""
    raw = load_yaml(DEFAULT_CARD)
    if path is not None:
        user = load_yaml(Path(path))
        if not isinstance(user, dict):
            raise ConfigError("", f"{path}: a detector card is a mapping of sections", source=str(path))
        unknown = sorted(set(user) - set(raw))
        if unknown:
            raise ConfigError(unknown[0], f"unknown section (allowed: {', '.join(raw)})", source=str(path))
        raw.update(user)
    jet, btag = dict(raw["jet"]), dict(raw["btag"])
    resolution = _build(Resolution, jet.pop("energy_resolution", None), "jet.energy_resolution")
    scale = Formula.parse(jet.pop("energy_scale", 1.0), "jet.energy_scale", low=0.0, high=10.0)
    jet_response = Formula.parse(jet.pop("response", 1.0), "jet.response", low=0.1, high=10.0)
    inputs = _build(JetInputs, jet.pop("inputs", {}), "jet.inputs")
    efficiency = btag.pop("efficiency", None)
    if not isinstance(efficiency, dict) or set(efficiency) != {"b", "c", "light"}:
        raise ConfigError("btag.efficiency", "expected probabilities (numbers or formulas) for b, c and light")
    efficiency = {flavour: Formula.parse(value, f"btag.efficiency.{flavour}", low=0.0, high=1.0)
                  for flavour, value in efficiency.items()}
    return DetectorCard(
        electron=_lepton(raw["electron"], "electron"),
        muon=_lepton(raw["muon"], "muon"),
        photon=_lepton(raw["photon"], "photon"),
        jet=_build(Jets, jet, "jet", energy_resolution=resolution, energy_scale=scale, response=jet_response,
                   inputs=inputs),
        btag=_build(BTag, btag, "btag", efficiency=efficiency),
        ecal=_build(Towers, raw["ecal"], "ecal"),
        source=str(path or DEFAULT_CARD),
    )
