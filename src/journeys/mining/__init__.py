"""Process discovery and conformance: the only part of journeys that imports pm4py.

pm4py is imported lazily (on the first call that needs it) and silently. Process maps
(directly-follows graph, start/end activities, variants) are computed in polars and equal
pm4py's numbers; models, conformance and BPMN/PNML I/O go through pm4py.

Examples
--------
>>> import polars as pl
>>> from datetime import datetime
>>> from journeys import mining
>>> ev = pl.DataFrame({"person_id": [1, 1, 2, 2], "activity": ["a", "b", "a", "b"],
...     "start": [datetime(2024, 1, d) for d in (1, 2, 1, 3)]})
>>> mining.discover_dfg(ev).get_column("events").to_list()
[2]
"""

from __future__ import annotations

import journeys._jit  # noqa: F401 - a fork-safe numba threading layer, before any kernel
from journeys.mining.conformance import (
    DEVIATION_KINDS,
    Alignments,
    check_alignments,
    check_token_replay,
    find_deviations,
    summarise_by_week,
    summarise_deviations,
)
from journeys.mining.figures import agency_colours, plot_agency_map, plot_process_map
from journeys.mining.maps import (
    ProcessMap,
    counts_as_dict,
    dfg_as_dict,
    discover_dfg,
    discover_end_activities,
    discover_process_map,
    discover_start_activities,
    discover_variants,
    performance_as_dict,
    variants_as_dict,
)
from journeys.mining.models import (
    Model,
    ModelQuality,
    check_model_quality,
    discover_heuristics_model,
    discover_inductive_model,
    graphviz_available,
    pm4py_log,
    read_model,
    to_bpmn,
    write_bpmn,
    write_image,
    write_pnml,
)
from journeys.mining.settings import MiningSettings
from journeys.mining.views import AgencyMap, discover_agency_map

__all__ = [
    "DEVIATION_KINDS",
    "AgencyMap",
    "Alignments",
    "MiningSettings",
    "Model",
    "ModelQuality",
    "ProcessMap",
    "agency_colours",
    "check_alignments",
    "check_model_quality",
    "check_token_replay",
    "counts_as_dict",
    "dfg_as_dict",
    "discover_agency_map",
    "discover_dfg",
    "discover_end_activities",
    "discover_heuristics_model",
    "discover_inductive_model",
    "discover_process_map",
    "discover_start_activities",
    "discover_variants",
    "find_deviations",
    "graphviz_available",
    "performance_as_dict",
    "plot_agency_map",
    "plot_process_map",
    "pm4py_log",
    "read_model",
    "summarise_by_week",
    "summarise_deviations",
    "to_bpmn",
    "variants_as_dict",
    "write_bpmn",
    "write_image",
    "write_pnml",
]
