"""The steering process's two fixes to yadage's cost keep its answers."""

from __future__ import annotations

import jsonpath_rw
from adage import nodestate
from adage.node import Node

from goldmine.workflow import steering


def test_jsonpath_parsed_once_per_string_and_finds_the_same(monkeypatch) -> None:
    monkeypatch.setattr(jsonpath_rw, "parse", jsonpath_rw.parse)  # restored after the test
    fresh = jsonpath_rw.parse("stages[*].name").find({"stages": [{"name": "a"}, {"name": "b"}]})
    steering._cache_jsonpath_parsing()
    assert jsonpath_rw.parse("stages[*].name") is jsonpath_rw.parse("stages[*].name")
    cached = jsonpath_rw.parse("stages[*].name").find({"stages": [{"name": "a"}, {"name": "b"}]})
    assert [m.value for m in cached] == [m.value for m in fresh] == ["a", "b"]


class _Backend:
    """Answers like packtivity's backends and counts how often it is asked."""

    def __init__(self, ready: bool) -> None:
        self.is_ready, self.asked = ready, 0

    def ready(self, proxy: object) -> bool:
        self.asked += 1
        return self.is_ready

    def successful(self, proxy: object) -> bool:
        return True

    def result(self, proxy: object) -> dict:
        return {"output": 1}


def test_finished_steps_are_not_asked_again_running_ones_are(monkeypatch) -> None:
    monkeypatch.setattr(Node, "update_state", Node.update_state)
    steering._skip_finished_steps()
    running, finished = _Backend(ready=False), _Backend(ready=True)
    nodes = {}
    for name, backend in (("running", running), ("finished", finished)):
        nodes[name] = Node(name, task=None)
        nodes[name].resultproxy, nodes[name].backend = object(), backend
    for _ in range(3):
        for node in nodes.values():
            node.update_state()
    assert nodes["running"].state == nodestate.RUNNING and running.asked == 3
    assert nodes["finished"].state == nodestate.SUCCESS and finished.asked == 1
    assert nodes["finished"].result == {"output": 1} and nodes["finished"].ready_by_time
    running.is_ready = True
    nodes["running"].update_state()
    assert nodes["running"].state == nodestate.SUCCESS and running.asked == 4
