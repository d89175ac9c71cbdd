"""Files cross between goldmine and madminer 0.9.6 in both directions.

madminer runs in its own virtual environment (GOLDMINE_MADMINER_PYTHON); CI installs
it from constraints.txt beside torch 2.13.0.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from goldmine.cli import cli
from goldmine.io.samples import SampleWriter, iter_samples, write_sample_summary
from goldmine.io.setup_file import read_setup, write_setup_sections
from goldmine.physics.morphing import find_components

pytestmark = pytest.mark.madminer

LOAD_SETUP = """
import numpy as np
from madminer import MadMiner
miner = MadMiner()
miner.load(ARGS["path"])
theta = np.array(ARGS["theta"])
print(json.dumps({
    "parameters": [[p.name, p.lha_block, p.lha_id, p.max_power, list(p.val_range)] for p in miner.parameters.values()],
    "benchmarks": {name: [float(v) for v in b.values.values()] for name, b in miner.benchmarks.items()},
    "components": miner.morpher.components.tolist(),
    "matrix": miner.morpher.morphing_matrix.tolist(),
    "weights": miner.morpher.calculate_morphing_weights(theta).tolist(),
    "systematics": {name: [s.type.value, s.value.decode() if isinstance(s.value, bytes) else s.value, s.scale.value]
                    for name, s in miner.systematics.items()},
}))
"""


def test_goldmine_setup_loads_in_madminer(tmp_path, examples, madminer) -> None:
    path = tmp_path / "setup.h5"
    config = examples / "wh-builtin.yml"
    result = CliRunner().invoke(cli, ["configure", str(config), "--output", str(path), "--plan", str(tmp_path / "p.yml")])
    assert result.exit_code == 0, result.output
    ours = read_setup(path)
    theirs = madminer.run(LOAD_SETUP, path=str(path), theta=[5.0, -3.0])

    assert theirs["parameters"] == [
        ["CWL2", "dim6", 2, 2, [-20.0, 20.0]],
        ["CPWL2", "dim6", 5, 2, [-20.0, 20.0]],
    ]
    physics = [i for i, b in enumerate(ours.benchmarks) if not b.is_nuisance]  # madminer's loader skips the rest
    assert list(theirs["benchmarks"]) == [ours.benchmark_names[i] for i in physics]
    np.testing.assert_array_equal(list(theirs["benchmarks"].values()), ours.benchmark_values[physics])
    np.testing.assert_array_equal(theirs["components"], ours.morpher.components)
    np.testing.assert_allclose(theirs["matrix"], ours.morpher.matrix, rtol=1e-12)
    np.testing.assert_allclose(theirs["weights"], ours.morpher.weights(np.array([5.0, -3.0])), rtol=1e-10)


WRITE_SETUP = """
import numpy as np
from madminer import MadMiner
np.random.seed(3)
miner = MadMiner()
for name, block, lha_id, power, low, high in ARGS["parameters"]:
    miner.add_parameter(lha_block=block, lha_id=lha_id, parameter_name=name,
                        morphing_max_power=power, parameter_range=(low, high))
miner.add_benchmark({name: 0.0 for name, *_ in ARGS["parameters"]}, "sm")
miner.set_morphing(max_overall_power=ARGS["overall"], include_existing_benchmarks=True, n_trials=5)
miner.add_systematics("scale", "mu_scale", scale="mu", scale_variations=(0.5, 1.0, 2.0))
miner.save(ARGS["path"])
print(json.dumps({
    "benchmarks": {name: [float(v) for v in b.values.values()] for name, b in miner.benchmarks.items()},
    "components": miner.morpher.components.tolist(),
    "matrix": miner.morpher.morphing_matrix.tolist(),
    "weights": miner.morpher.calculate_morphing_weights(np.array(ARGS["theta"])).tolist(),
}))
"""


def test_madminer_setup_loads_in_goldmine(tmp_path, madminer) -> None:
    path = tmp_path / "madminer_setup.h5"
    parameters = [["a", "dim6", 1, 2, -1.0, 1.0], ["b", "dim6", 2, 2, -2.0, 2.0], ["c", "dim6", 3, 2, -0.5, 0.5]]
    theirs = madminer.run(WRITE_SETUP, path=str(path), parameters=parameters, overall=2, theta=[0.3, -1.2, 0.1])
    ours = read_setup(path)
    assert ours.parameter_names == ["a", "b", "c"]
    assert ours.parameters[1].range == (-2.0, 2.0) and ours.parameters[1].transform is None
    assert ours.benchmark_names == list(theirs["benchmarks"])
    np.testing.assert_array_equal(ours.morpher.components, theirs["components"])
    np.testing.assert_array_equal(ours.morpher.components, find_components([2, 2, 2], 2))
    np.testing.assert_array_equal(ours.morpher.matrix, theirs["matrix"])
    np.testing.assert_allclose(ours.morpher.weights(np.array([0.3, -1.2, 0.1])), theirs["weights"], rtol=1e-10)
    assert [(s.name, s.type, s.value, s.scale) for s in ours.systematics] == [("mu_scale", "scale", "0.5,1.0,2.0", "mu")]


ENUMERATE = """
from madminer.utils.morphing import PhysicsMorpher
out = []
for powers, overall in ARGS["cases"]:
    morpher = PhysicsMorpher(parameter_max_power=powers, parameter_range=[(-1.0, 1.0)] * len(powers))
    out.append(morpher.find_components(overall).tolist())
print(json.dumps(out))
"""


def test_components_equal_madminer_enumeration(madminer) -> None:
    cases = [([4], 4), ([2, 2], 2), ([2, 4], 4), ([2, 2, 2], 2), ([4, 2, 2], 4), ([1, 3], 3)]
    theirs = madminer.run(ENUMERATE, cases=cases)
    for (powers, overall), expected in zip(cases, theirs):
        assert find_components(powers, overall).tolist() == expected


EVENT_FILE_IN_MADMINER = """
import numpy as np
from madminer.analysis import DataAnalyzer
from madminer.utils.interfaces.hdf5 import load_events
analyzer = DataAnalyzer(ARGS["path"])
xsecs, _ = analyzer.xsecs(thetas=[np.array(t) for t in ARGS["thetas"]])
observations, weights = next(load_events(ARGS["path"], batch_size=None))
print(json.dumps({
    "n_samples": int(analyzer.n_samples),
    "observables": list(analyzer.observables),
    "xsecs": xsecs.tolist(),
    "observation_sum": observations.sum(axis=0).tolist(),
}))
"""


def test_goldmine_event_file_opens_in_madminer(tmp_path, examples, madminer) -> None:
    from goldmine.config.loader import load_config
    from goldmine.config.setup_builder import build_setup

    setup = build_setup(load_config(examples / "wh-builtin.yml"), rng=np.random.default_rng(0))
    rng = np.random.default_rng(4)
    n_events, n_observables = 5000, len(setup.observables)
    observations = rng.normal(size=(n_events, n_observables))
    weights = rng.exponential(size=(n_events, len(setup.benchmarks))) * 1e-4
    path = tmp_path / "events.h5"
    with h5py.File(path, "w") as file:
        write_setup_sections(file, setup)
        SampleWriter(file, n_observables, len(setup.benchmarks)).append(observations, weights, np.zeros(n_events))
        write_sample_summary(file, np.eye(len(setup.benchmarks), dtype=int)[0] * n_events, 0)

    thetas = [[5.0, -3.0], [-12.0, 7.0]]
    theirs = madminer.run(EVENT_FILE_IN_MADMINER, path=str(path), thetas=thetas)
    assert theirs["n_samples"] == n_events
    assert theirs["observables"] == [o.name for o in setup.observables]
    ours = weights.sum(axis=0) @ setup.benchmark_weights(np.array(thetas)).T
    np.testing.assert_allclose(theirs["xsecs"], ours, rtol=1e-10)
    np.testing.assert_allclose(theirs["observation_sum"], observations.sum(axis=0), rtol=1e-10)


WRITE_EVENTS = """
import numpy as np
from collections import OrderedDict
from madminer import MadMiner
from madminer.models import Observable
from madminer.utils.interfaces.hdf5 import save_events
miner = MadMiner()
miner.add_parameter(lha_block="dim6", lha_id=2, parameter_name="CWL2", morphing_max_power=2, parameter_range=(-20.0, 20.0))
miner.add_benchmark({"CWL2": 0.0}, "sm")
miner.add_benchmark({"CWL2": 10.0}, "w_pos")
miner.add_benchmark({"CWL2": -10.0}, "w_neg")
miner.set_morphing(max_overall_power=2, include_existing_benchmarks=True)
miner.save(ARGS["path"])
rng = np.random.default_rng(8)
n = ARGS["n"]
observables = OrderedDict((name, Observable(name, expr)) for name, expr in [("pt_l", "l[0].pt"), ("met", "met.pt")])
observations = OrderedDict((name, rng.normal(size=n)) for name in observables)
weights = OrderedDict((name, rng.exponential(size=n)) for name in ["sm", "w_pos", "w_neg"])
save_events(ARGS["path"], False, observables, observations, weights, [0] * n, [n, 0, 0], 0)
print(json.dumps({
    "observations": np.stack(list(observations.values()), axis=1).tolist(),
    "weights": np.stack(list(weights.values()), axis=1).tolist(),
}))
"""


def test_madminer_event_file_streams_in_goldmine(tmp_path, madminer) -> None:
    path = tmp_path / "madminer_events.h5"
    theirs = madminer.run(WRITE_EVENTS, path=str(path), n=1234)
    setup = read_setup(path)
    assert [o.name for o in setup.observables] == ["pt_l", "met"]
    assert [o.definition for o in setup.observables] == ["l[0].pt", "met.pt"]
    chunks = list(iter_samples(path, chunk_size=500))
    assert [len(c) for c in chunks] == [500, 500, 234]
    np.testing.assert_array_equal(np.concatenate([c.observations for c in chunks]), theirs["observations"])
    np.testing.assert_array_equal(np.concatenate([c.weights for c in chunks]), theirs["weights"])
