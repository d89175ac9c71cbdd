"""The analysis config: examples, defaults, typed access, and a table of bad configs."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from goldmine.cli import cli
from goldmine.config.loader import load_config, parse_config
from goldmine.config.schema import load_schema
from goldmine.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def base(examples) -> dict[str, Any]:
    return yaml.safe_load((examples / "wh-builtin.yml").read_text())


def test_packaged_schema_is_identical_to_specs() -> None:
    assert load_schema() == json.loads((REPO / "specs" / "analysis.schema.json").read_text())
    assert (REPO / "specs" / "analysis.schema.json").read_text() == (
        REPO / "steps" / "goldmine" / "config" / "schemas" / "analysis.schema.json"
    ).read_text()


@pytest.mark.parametrize("name", ["wh-builtin.yml", "wh-madgraph.yml"])
def test_examples_load(examples, name) -> None:
    config = load_config(examples / name)
    assert config.parameter_names == ["CWL2", "CPWL2"]
    assert [(p.lha_block, p.lha_id) for p in config.parameters] == [("dim6", 2), ("dim6", 5)]
    assert config.benchmark("val_2").values == (-15.0, 8.0)
    assert config.morphing is not None and config.morphing.max_overall_power == 2
    expected = {"wh-builtin.yml": ("sm", "w_pos", "pw_pos"), "wh-madgraph.yml": ("sm", "w_pos")}[name]
    assert config.generation.sampling_benchmarks == expected


def test_madgraph_cards_resolve_against_the_config_folder(examples) -> None:
    config = load_config(examples / "wh-madgraph.yml")
    assert config.generation.backend == "madgraph"
    assert config.generation.madgraph.process_card == examples / "cards" / "wh-ewdim6" / "proc_card.dat"
    ttbar = config.background("ttbar")
    assert ttbar.backend == "madgraph" and ttbar.process is None
    assert ttbar.madgraph.run_card == examples / "cards" / "tt-semileptonic" / "run_card.dat"
    assert ttbar.madgraph.param_card is None  # the model's own
    background_cards = [card for b in config.backgrounds for card in b.madgraph.cards]
    assert config.input_files == (*config.generation.madgraph.cards, *background_cards)


def test_defaults_are_filled(base) -> None:
    minimal = {key: base[key] for key in ("name", "parameters", "benchmarks", "generation")}
    minimal["generation"] = {"backend": "builtin", "events_per_job": 10, "sampling_benchmarks": ["sm"]}
    for parameter in minimal["parameters"]:
        parameter.pop("max_power")
    config = parse_config(yaml.safe_dump(minimal))
    assert config.generation.beam_energy == 6500.0
    assert config.generation.jobs_per_benchmark == 1
    assert config.generation.builtin.w_charge == "both"
    assert config.parameters[0].max_power == 2
    assert config.detector.backend == "builtin"
    assert config.morphing is None and config.systematics == () and config.observables == ()
    assert config.training.epochs == 50 and config.training.activation == "tanh"


def test_digest_ignores_formatting_but_not_content(base) -> None:
    first = parse_config(yaml.safe_dump(base))
    reformatted = parse_config(json.dumps(base))  # JSON is YAML: same content, other text
    changed = copy.deepcopy(base)
    changed["generation"]["events_per_job"] += 1
    assert first.digest == reformatted.digest
    assert parse_config(yaml.safe_dump(changed)).digest != first.digest


def test_systematics_become_madminer_values(base) -> None:
    base["systematics"] = [
        {"name": "lumi", "type": "norm", "factor": 1.02},
        {"name": "scales", "type": "scale", "scale": "mu", "factors": [0.5, 2]},
        {"name": "pdf", "type": "pdf_set", "pdf": "NNPDF31_lo_as_0130"},
    ]
    systematics = parse_config(yaml.safe_dump(base)).systematics
    assert [(s.type, s.value, s.scale) for s in systematics] == [
        ("norm", "1.02", None),
        ("scale", "0.5,2.0", "mu"),
        ("pdf_set", "NNPDF31_lo_as_0130", None),
    ]


def test_a_pdf_member_variation_is_refused_naming_the_key(base) -> None:
    """Pythia's PDF grids hold central members only: no member variation can be computed."""
    base["systematics"] = [{"name": "pdf", "type": "pdf", "pdf": "NNPDF23_lo_as_0130_qed"}]
    with pytest.raises(ConfigError, match=r"systematics\[0\].type.*central members only.*use type pdf_set"):
        parse_config(yaml.safe_dump(base))


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(config: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node = config
        for key in parents:
            node = node[key]
        node[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(config: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node = config
        for key in parents:
            node = node[key]
        del node[last]

    return mutate


def _duplicate_parameter(config: dict[str, Any]) -> None:
    config["parameters"].append({**config["parameters"][0], "lha_id": 9})


BAD_CONFIGS: list[tuple[str, Mutation, str]] = [
    ("missing_parameters", _delete("parameters"), "parameters: missing required key"),
    ("missing_lha_id", _delete("parameters.0.lha_id"), "parameters[0].lha_id: missing required key"),
    ("lha_id_not_integer", _set("parameters.1.lha_id", "five"), 'parameters[1].lha_id: expected integer, got "five"'),
    ("range_reversed", _set("parameters.1.range", [5, 1]),
     r"parameters[1].range: expected [low, high] with low < high, got [5, 1]"),
    ("range_one_number", _set("parameters.0.range", [5]), "parameters[0].range: expected at least 2 items, got 1"),
    ("unknown_key_typo", _set("parameters.0.rnage", [0, 1]), "parameters[0].rnage: unknown key (did you mean 'range'?)"),
    ("duplicate_parameter", _duplicate_parameter, "parameters[2].name: duplicate name 'CWL2'"),
    ("same_lha_entry", _set("parameters.1.lha_id", 2), "parameters[1].lha_id: LHA entry dim6 2 is already used"),
    ("bad_transform", _set("parameters.0.transform", "__import__('os')"),
     "parameters[0].transform: unknown function '__import__'"),
    ("negative_power", _set("parameters.0.max_power", -1), "parameters[0].max_power: expected a number >= 0, got -1"),
    ("parameter_name_with_space", _set("parameters.0.name", "C WL2"),
     'parameters[0].name: expected a name of letters, digits and underscores'),
    ("benchmark_unknown_parameter", _set("benchmarks.val_1", {"CWL2": 1.0, "CPWL2": 0.0, "CWWW": 2.0}),
     "benchmarks.val_1.CWWW: unknown parameter 'CWWW'"),
    ("benchmark_missing_parameter", _set("benchmarks.val_1", {"CWL2": 1.0}),
     "benchmarks.val_1: no value for parameter CPWL2"),
    ("benchmark_value_not_number", _set("benchmarks.sm.CWL2", "zero"), 'benchmarks.sm.CWL2: expected number, got "zero"'),
    ("basis_too_small", _set("morphing.basis", ["sm", "w_pos", "w_neg", "pw_pos"]),
     "morphing.basis: 4 benchmarks is too few for a basis of 6 components"),
    ("basis_unknown_benchmark", _set("morphing.basis", ["sm", "w_pos", "w_neg", "pw_pos", "pw_neg", "mixd"]),
     "morphing.basis[5]: unknown benchmark 'mixd' (did you mean 'mixed'?)"),
    ("basis_twice", _set("morphing.basis", ["sm", "w_pos", "w_neg", "pw_pos", "pw_neg", "sm"]),
     "morphing.basis[5]: benchmark 'sm' is listed twice"),
    ("basis_singular", _set("benchmarks.mixed", {"CWL2": 20.0, "CPWL2": 0.0}),  # all six points on the axes
     "morphing.basis: morphing basis (sm, w_pos, w_neg, pw_pos, pw_neg, mixed) is singular (rank 5 of 6): "
     "its points cannot separate the components CWL2*CPWL2"),
    ("optimize_too_many_fixed",
     _set("morphing", {"max_overall_power": 2, "optimize": True, "basis": ["sm", "w_pos", "w_neg", "pw_pos", "pw_neg", "mixed", "val_1"]}),
     "morphing.basis: 7 fixed basis benchmarks but the morphing has only 6 components"),
    ("backend_unknown", _set("generation.backend", "sherpa"),
     'generation.backend: expected one of "builtin", "madgraph", got "sherpa"'),
    ("events_zero", _set("generation.events_per_job", 0), "generation.events_per_job: expected a number >= 1, got 0"),
    ("sampling_unknown", _set("generation.sampling_benchmarks", ["sm", "wpos"]),
     "generation.sampling_benchmarks[1]: unknown benchmark 'wpos' (did you mean 'w_pos'?)"),
    ("madgraph_without_cards", _set("generation.backend", "madgraph"), "generation.madgraph: missing required key"),
    ("madgraph_card_missing",
     _set("generation.madgraph", {"process_card": "nope.dat", "run_card": "nope.dat", "param_card": "nope.dat"}),
     "generation.madgraph.process_card: file not found: nope.dat"),
    ("norm_without_factor", _set("systematics", [{"name": "lumi", "type": "norm"}]), "systematics[0].factor: missing required key"),
    ("norm_with_scale_key", _set("systematics", [{"name": "lumi", "type": "norm", "factor": 1.1, "scale": "mu"}]),
     "systematics[0].scale: key 'scale' does not apply to a 'norm' systematic"),
    ("observable_syntax", _set("observables.0.expression", "l[0].pt +"),
     "observables[0].expression: invalid syntax at position 9 of 'l[0].pt +'"),
    ("observable_duplicate", _set("observables.1.name", "e_l"), "observables[1].name: duplicate name 'e_l'"),
    ("cut_syntax", _set("cuts", ["len(l) >>= 1"]), "cuts[0]: invalid syntax at position 7 of 'len(l) >>= 1'"),
    ("observable_unknown_object", _set("observables.0.expression", "tau[0].pt"),
     "observables[0].expression: unknown name 'tau'"),
    ("observable_not_scalar", _set("observables.0.expression", "l[0]"),
     "observables[0].expression: 'l[0]' gives a momentum per event; expected a number or boolean"),
    ("cut_not_boolean", _set("cuts", ["len(l)"]), "cuts[0]: 'len(l)' gives a number per event; expected a boolean"),
    ("efficiency_call", _set("efficiencies", ["__import__('os')"]), "efficiencies[0]: unknown function '__import__'"),
    ("range_infinite", _set("parameters.0.range", [float("-inf"), float("inf")]),
     "parameters[0].range: expected finite [low, high], got [-inf, inf]"),
    ("range_overflows", _set("parameters.0.range", [-1e200, 1e200]),
     "parameters[0].range: |theta| up to 1e+200 overflows floating point at the morphing powers (theta^4)"),
    ("benchmark_infinite", _set("benchmarks.w_pos.CWL2", float("inf")),
     "benchmarks.w_pos.CWL2: expected a finite number, got inf"),
    ("transform_huge_power", _set("parameters.0.transform", "theta + 9**9**9"),
     "parameters[0].transform: 'theta + 9**9**9' is not a finite number at theta = -20"),
    ("benchmark_nan", _set("benchmarks.w_pos.CPWL2", float("nan")),
     "benchmarks.w_pos.CPWL2: expected a finite number, got nan"),
    ("observable_nested_too_deeply", _set("observables.0.expression", "-" * 5000 + "l[0].pt"),
     "observables[0].expression: nested too deeply"),
    ("observable_too_long", _set("observables.0.expression", " + ".join(["l[0].pt"] * 2000)),
     "observables[0].expression: longer than 10000 characters"),
    ("transform_nested_too_deeply", _set("parameters.0.transform", "-" * 5000 + "theta"),
     "parameters[0].transform: nested too deeply"),
    ("transform_outside_its_domain", _set("parameters.1.transform", "sqrt(theta)"),
     "parameters[1].transform: 'sqrt(theta)' is not a finite number at theta = -20 (got nan)"),
]

#: "Billion laughs": 1 kB of YAML whose aliases expand to 9⁹ strings.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n" for previous, name in zip("abcdefgh", "bcdefghi"))

RAW_BAD_CONFIGS: list[tuple[str, str, str]] = [
    ("not_yaml", "parameters: [unclosed\n", "not valid YAML at line 2"),
    ("not_a_mapping", "- a\n- b\n", "expected a mapping of sections (parameters, benchmarks, ...), got a list"),
    ("empty_file", "", "got an empty file"),
    ("alias_bomb", ALIAS_BOMB, "the document's aliases (*name) expand it to more than 100000 values"),
]


def _run_configure(tmp_path: Path, config_path: Path):
    result = CliRunner().invoke(
        cli, ["configure", str(config_path), "--output", str(tmp_path / "setup.h5"), "--plan", str(tmp_path / "plan.yml")]
    )
    return result


@pytest.mark.parametrize(("name", "mutate", "message"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_refused(tmp_path, examples, base, name, mutate, message) -> None:
    mutate(base)
    config_path = examples / f".bad-{name}.yml" if name == "madgraph_card_missing" else tmp_path / f"{name}.yml"
    output = tmp_path / "out"
    output.mkdir()
    try:
        config_path.write_text(yaml.safe_dump(base, sort_keys=False))
        result = _run_configure(output, config_path)
    finally:
        if config_path.parent == examples:
            config_path.unlink()
    assert result.exit_code == 2, result.output
    assert message in result.output, result.output
    assert str(config_path) in result.output
    assert list(output.iterdir()) == [], "nothing may be written for a bad config"


@pytest.mark.parametrize(("name", "text", "message"), RAW_BAD_CONFIGS, ids=[c[0] for c in RAW_BAD_CONFIGS])
def test_bad_config_text_is_refused(tmp_path, name, text, message) -> None:
    config_path = tmp_path / f"{name}.yml"
    config_path.write_text(text)
    output = tmp_path / "out"
    output.mkdir()
    result = _run_configure(output, config_path)
    assert result.exit_code == 2, result.output
    assert message in result.output, result.output
    assert list(output.iterdir()) == []


def test_duplicate_benchmark_name_is_refused(tmp_path, examples) -> None:
    text = (examples / "wh-builtin.yml").read_text().replace("  val_3:", "  val_2:")
    with pytest.raises(ConfigError, match=r"duplicate key 'val_2' at line \d+ \(first at line \d+\)"):
        parse_config(text)
    config_path = tmp_path / "dup.yml"
    config_path.write_text(text)
    assert _run_configure(tmp_path, config_path).exit_code == 2


def test_yaml_aliases_that_expand_modestly_still_load(tmp_path) -> None:
    from goldmine.config.yaml_text import load_yaml

    path = tmp_path / "aliases.yml"
    path.write_text("point: &p {a: 1, b: [2, 3]}\nsame: *p\nlist: [*p, *p]\n")
    loaded = load_yaml(path)
    assert loaded["same"] == loaded["list"][1] == {"a": 1, "b": [2, 3]}


def test_strings_are_stored_at_their_length(tmp_path, base) -> None:
    """An observable definition longer than MadMiner's 256 characters, and non-ASCII text,
    come back from setup.h5 as written, so the chain accepts its own config."""
    from goldmine.io.setup_file import read_setup

    long_definition = " + ".join(["l[0].pt"] * 40)
    assert len(long_definition) > 256
    base["observables"].append({"name": "long_sum", "expression": long_definition})
    base["description"] = "W h → ℓ ν b b̄ with O_W and O_W̃ (θ in TeV⁻²)"
    config_path = tmp_path / "long.yml"
    config_path.write_text(yaml.safe_dump(base, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = _run_configure(tmp_path, config_path)
    assert result.exit_code == 0, result.output
    setup = read_setup(tmp_path / "setup.h5")
    assert setup.observables[-1].definition == long_definition
    assert setup.observables == load_config(config_path).observables


def test_the_table_is_long_enough() -> None:
    assert len(BAD_CONFIGS) + len(RAW_BAD_CONFIGS) >= 15
    messages = [m for _, _, m in BAD_CONFIGS + RAW_BAD_CONFIGS]
    assert len(set(messages)) == len(messages), "each bad config must have its own message"


def test_a_config_without_generation_is_for_brought_events(tmp_path, examples) -> None:
    """Events brought from elsewhere (MadGraph/Delphes files) need no generation section:
    configure plans no jobs; generate and goldmine run say that they need one."""
    from goldmine import api
    from goldmine.errors import ConfigError

    raw = yaml.safe_load((examples / "wh-madgraph.yml").read_text())
    for key in ("generation", "backgrounds", "detector"):
        raw.pop(key)
    raw["systematics"] = [s for s in raw["systematics"] if s["type"] == "norm"]
    config = tmp_path / "byo.yml"
    config.write_text(yaml.safe_dump(raw))
    assert load_config(config).generation is None
    setup = api.configure(config, tmp_path / "setup.h5", tmp_path / "plan.yml")
    assert setup.benchmark_names[:6] == ["sm", "w_pos", "w_neg", "pw_pos", "pw_neg", "mixed"]
    plan = yaml.safe_load((tmp_path / "plan.yml").read_text())
    assert plan["jobs"] == [] and plan["background_jobs"] == []
    with pytest.raises(ConfigError, match=r"byo.yml has no generation section .* generate needs one"):
        api.generate(tmp_path / "setup.h5", config, tmp_path / "job", benchmark="sm", seed=1, events=10)
    assert not (tmp_path / "job").exists()
    with pytest.raises(ConfigError, match=r"generation: .*goldmine run \(the workflow generates the events"):
        api.run(config, tmp_path / "run", toplevel=examples.parent)
    assert not (tmp_path / "run").exists()
