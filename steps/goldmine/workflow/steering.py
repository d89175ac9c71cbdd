"""yadage's steering process as ``goldmine run`` starts it: yadage's own command line, with
two fixes to what it costs while the steps work.

On every look at its graph (``-u``, twice a second here) the steering process

- asked jsonpath-rw to parse its stage predicates and data selections, and
  ``jsonpath_rw.parse`` builds a new PLY parser, tables and all, for each call ("we
  regenerate the parse table every time"): the parsed paths are immutable, so each
  distinct string is now parsed once;
- asked the backend again for the state and the outputs of every step that had long
  finished, and packtivity rebuilt each step's outputs from JSON for it: a finished step
  (SUCCESS or FAILED, its finishing time taken) never changes again, so it is not asked.

Before, the steering process took 20 to 70 % of a core from the steps
(benchmarks/workflow_overhead.py). yadage 0.20.1, adage 0.10.3 and jsonpath-rw as pinned
by constraints.txt; the steps, their order and their outputs are unchanged.

    python -m goldmine.workflow.steering <yadage-run arguments>
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["main"]

#: Distinct JSONPath strings of one workflow: a few per stage.
_PARSED_PATHS = 4096


def _cache_jsonpath_parsing() -> None:
    import jsonpath_rw

    jsonpath_rw.parse = functools.lru_cache(maxsize=_PARSED_PATHS)(jsonpath_rw.parse)


def _skip_finished_steps() -> None:
    from adage import nodestate
    from adage.node import Node

    update_state = Node.update_state
    finished = (nodestate.SUCCESS, nodestate.FAILED)

    @functools.wraps(update_state)
    def update_unfinished(node: Any, backend: Any = None) -> None:
        if node.state in finished and node.ready_by_time:
            return
        update_state(node, backend)

    Node.update_state = update_unfinished


def main() -> None:
    from yadage.steering import main as yadage_main

    _cache_jsonpath_parsing()
    _skip_finished_steps()
    yadage_main()


if __name__ == "__main__":
    main()
