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
