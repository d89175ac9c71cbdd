"""The LHE weight reader, on MadGraph's own files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from goldmine.errors import InputFileError
from goldmine.io.lhe_weights import iter_lhe_weights, read_lhe_weights

pytestmark = pytest.mark.fixtures


def test_reads_names_nominal_and_weights(wh_fixtures) -> None:
    weights = read_lhe_weights(wh_fixtures / "events_sm.lhe.gz")
    assert weights.names == ("w_pos", "w_neg", "pw_pos", "pw_neg", "mixed", "val_1", "val_2", "val_3")
    assert weights.weights.shape == (3000, 8)
    # event_norm = average: XWGTUP is the run's cross section, 0.1392 pb
    np.testing.assert_allclose(weights.nominal, 0.1392)
    np.testing.assert_allclose(weights.weights[0, :2], [0.17504929, 0.10750032])


def test_chunks_concatenate_to_the_whole_file(wh_fixtures) -> None:
    path = wh_fixtures / "events_w_pos.lhe.gz"
    whole = read_lhe_weights(path)
    chunks = list(iter_lhe_weights(path, chunk_events=700))
    assert [len(c.nominal) for c in chunks] == [700, 700, 100]
    np.testing.assert_array_equal(np.concatenate([c.weights for c in chunks]), whole.weights)


def test_event_with_missing_weight_is_named(wh_fixtures, tmp_path) -> None:
    with gzip.open(wh_fixtures / "events_sm.lhe.gz", "rt") as stream:
        text = stream.read()
    start = [i for i in range(len(text)) if text.startswith("<wgt id='val_3'>", i)][2]
    broken = text[:start] + text[text.index("</wgt>", start) + len("</wgt>") :]
    path = tmp_path / "broken.lhe"
    path.write_text(broken)
    with pytest.raises(InputFileError, match=r"broken.lhe: event 2 has weights .* declares"):
        read_lhe_weights(path)


def test_not_an_lhe_file(tmp_path) -> None:
    path = tmp_path / "empty.lhe"
    path.write_text("<LesHouchesEvents>\n</LesHouchesEvents>\n")
    with pytest.raises(InputFileError, match="no <event> found"):
        read_lhe_weights(path)


def test_fast_path_equals_the_general_parser_and_steps_aside_for_other_layouts(wh_fixtures) -> None:
    import awkward as ak

    from goldmine.io import lhe_events

    path = wh_fixtures / "events_w_pos.lhe.gz"
    for header, text, first in lhe_events.iter_lhe_chunks(path, chunk_events=700):
        fast = lhe_events._parse_uniform(text, header.weight_names, first)
        assert fast is not None
        nominal, weights = lhe_events.parse_weights(text, header.weight_names, first, path)
        particles = lhe_events.parse_particles(text, first, path)
        np.testing.assert_array_equal(fast.nominal, nominal)
        np.testing.assert_array_equal(fast.weights, weights)
        for field in ("pid", "status", "px", "py", "pz", "e", "m"):
            assert ak.all(fast.particles[field] == particles[field])
        with_scales = text.replace("<rwgt>", "<scales pt_clust_1='0'> 91.2 </scales>\n<rwgt>", 1)
        assert lhe_events._parse_uniform(with_scales, header.weight_names, first) is None
        swapped = text.replace("<wgt id='sm'>", "<wgt id='xx'>", 1)
        assert lhe_events._parse_uniform(swapped, header.weight_names, first) is None
