"""Process models through pm4py: discovery, quality, reading and writing.

Discovery algorithms:

- inductive miner (Leemans, Fahland & van der Aalst, "Discovering block-structured process models
  from event logs", Petri Nets 2013), with a noise threshold (IMf, Leemans et al., BPM workshops
  2013) and the directly-follows variant for large logs (IMd, Leemans et al., "Scalable process
  discovery and conformance checking", SoSyM 2018), fed with the DFG computed in polars;
- heuristics miner (Weijters & Ribeiro, "Flexible Heuristics Miner", CIDM 2011).

Quality: token-replay fitness and precision (Rozinat & van der Aalst 2008; Muñoz-Gama &
Carmona 2010), simplicity as pm4py's inverse arc degree, generalization as pm4py computes it.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import polars as pl

from journeys import schema
from journeys.exceptions import DataError, DependencyError, MiningError, SourceError
from journeys.mining._engine import (
    PM4PY_ACTIVITY,
    PM4PY_CASE,
    PM4PY_TIMESTAMP,
    engine_errors,
    pm4py_module,
    to_pm4py_frame,
)
from journeys.mining._frames import Frame, order_events, resolve_columns, trace_lists
from journeys.mining.maps import _edges, _endpoint_counts

__all__ = [
    "InductiveMethod",
    "Model",
    "ModelQuality",
    "check_model_quality",
    "discover_heuristics_model",
    "discover_inductive_model",
    "graphviz_available",
    "pm4py_dfg",
    "pm4py_log",
    "read_model",
    "to_bpmn",
    "write_bpmn",
    "write_image",
    "write_pnml",
]

logger = logging.getLogger(__name__)

#: "log": inductive miner on the log; "dfg": on the directly-follows graph (IMd); "auto": IMd
#: when the log has more than ``dfg_above`` events.
InductiveMethod = Literal["auto", "log", "dfg"]
_DFG_ABOVE: Final = 1_000_000
_IMAGE_FORMATS: Final = ("png", "svg")


@dataclass(frozen=True)
class ModelQuality:
    """Quality figures of a model against a log (each in [0, 1])."""

    fitness: float
    precision: float
    simplicity: float
    generalization: float

    def to_dict(self) -> dict[str, float]:
        """The figures as a plain mapping."""
        return {
            "fitness": self.fitness,
            "precision": self.precision,
            "simplicity": self.simplicity,
            "generalization": self.generalization,
        }


@dataclass(frozen=True)
class Model:
    """An accepting Petri net (pm4py objects), optionally with its process tree.

    ``net``, ``initial_marking`` and ``final_marking`` are pm4py objects; pass them to pm4py
    directly if you need something journeys does not wrap.
    """

    net: Any
    initial_marking: Any
    final_marking: Any
    tree: Any | None = None
    name: str = "model"
    quality: ModelQuality | None = field(default=None, compare=False)

    @property
    def activities(self) -> frozenset[str]:
        """The visible labels of the net."""
        return frozenset(t.label for t in self.net.transitions if t.label is not None)


def pm4py_log(
    data: Frame,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
) -> Any:
    """The events as a pandas frame in pm4py's layout, ordered by case and time.

    Columns are renamed to ``case:concept:name``, ``concept:name`` and ``time:timestamp``.
    This is the only conversion to pandas in journeys' mining.
    """
    columns = resolve_columns(
        data, case=case, activity=activity, timestamp=timestamp, function="pm4py_log"
    )
    return to_pm4py_frame(order_events(data, columns).collect())


def _keys() -> dict[str, str]:
    return {
        "activity_key": PM4PY_ACTIVITY,
        "case_id_key": PM4PY_CASE,
        "timestamp_key": PM4PY_TIMESTAMP,
    }


def pm4py_dfg(
    data: Frame,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
) -> Any:
    """pm4py's typed DFG object built from the directly-follows graph computed in polars."""
    columns = resolve_columns(
        data, case=case, activity=activity, timestamp=timestamp, function="pm4py_dfg"
    )
    traces = trace_lists(data, columns).collect().lazy()
    edges = _edges(traces, timed=False).collect()
    starts, ends = _endpoint_counts(traces)
    pm4py_module()
    from pm4py.objects.dfg.obj import DFG

    graph = {(s, t): int(n) for s, t, n in edges.select("source", "target", "events").iter_rows()}
    return DFG(graph, starts, ends)


def _size(data: Frame) -> int:
    if isinstance(data, pl.DataFrame):
        return data.height
    return int(data.select(pl.len()).collect().item())


def discover_inductive_model(
    data: Frame,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
    noise_threshold: float = 0.0,
    method: InductiveMethod = "auto",
    dfg_above: int = _DFG_ABOVE,
    quality: bool = False,
) -> Model:
    """Discover a sound block-structured model with the inductive miner.

    Parameters
    ----------
    noise_threshold
        0 for the classic miner; in (0, 1) to filter infrequent behaviour (IMf).
    method
        "log", "dfg" (IMd on the polars DFG: linear in the log size, for large logs) or "auto"
        (IMd above ``dfg_above`` events).
    quality
        Also compute :class:`ModelQuality` against ``data`` (token replay; can be slow).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"person_id": [1, 1, 2, 2], "activity": ["a", "b", "a", "b"],
    ...     "start": [datetime(2024, 1, d) for d in (1, 2, 1, 3)]})
    >>> sorted(discover_inductive_model(ev).activities)
    ['a', 'b']
    """
    if not 0 <= noise_threshold < 1:
        raise DataError(
            "The 'noise_threshold' parameter of discover_inductive_model must be in [0, 1). "
            f"Got {noise_threshold}."
        )
    if method not in ("auto", "log", "dfg"):
        raise DataError(
            f"The 'method' parameter of discover_inductive_model must be 'auto', 'log' or "
            f"'dfg'. Got {method!r}."
        )
    use_dfg = method == "dfg" or (method == "auto" and _size(data) > dfg_above)
    pm4py = pm4py_module()
    if use_dfg:
        source = pm4py_dfg(data, case=case, activity=activity, timestamp=timestamp)
        with engine_errors("discovering a process tree with the inductive miner (IMd)"):
            tree = pm4py.discover_process_tree_inductive(source, noise_threshold=noise_threshold)
    else:
        log = pm4py_log(data, case=case, activity=activity, timestamp=timestamp)
        with engine_errors("discovering a process tree with the inductive miner"):
            tree = pm4py.discover_process_tree_inductive(
                log, noise_threshold=noise_threshold, **_keys()
            )
    with engine_errors("converting the process tree to a Petri net"):
        net, im, fm = pm4py.convert_to_petri_net(tree)
    model = Model(net, im, fm, tree=tree, name="inductive")
    if quality:
        model = _with_quality(model, data, case=case, activity=activity, timestamp=timestamp)
    return model


def discover_heuristics_model(
    data: Frame,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
    dependency_threshold: float = 0.5,
    and_threshold: float = 0.65,
    loop_two_threshold: float = 0.5,
    quality: bool = False,
) -> Model:
    """Discover a Petri net with the heuristics miner (pm4py's defaults for the thresholds).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"person_id": [1, 1, 2, 2], "activity": ["a", "b", "a", "b"],
    ...     "start": [datetime(2024, 1, d) for d in (1, 2, 1, 3)]})
    >>> sorted(discover_heuristics_model(ev).activities)
    ['a', 'b']
    """
    for name, value in (
        ("dependency_threshold", dependency_threshold),
        ("and_threshold", and_threshold),
        ("loop_two_threshold", loop_two_threshold),
    ):
        if not 0 <= value <= 1:
            raise DataError(
                f"The '{name}' parameter of discover_heuristics_model must be in [0, 1]. "
                f"Got {value}."
            )
    pm4py = pm4py_module()
    log = pm4py_log(data, case=case, activity=activity, timestamp=timestamp)
    with engine_errors("discovering a Petri net with the heuristics miner"):
        net, im, fm = pm4py.discover_petri_net_heuristics(
            log,
            dependency_threshold=dependency_threshold,
            and_threshold=and_threshold,
            loop_two_threshold=loop_two_threshold,
            **_keys(),
        )
    model = Model(net, im, fm, name="heuristics")
    if quality:
        model = _with_quality(model, data, case=case, activity=activity, timestamp=timestamp)
    return model


def check_model_quality(
    data: Frame,
    model: Model,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
) -> ModelQuality:
    """Token-replay fitness and precision, simplicity and generalization of ``model``.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"person_id": [1, 1, 2, 2], "activity": ["a", "b", "a", "b"],
    ...     "start": [datetime(2024, 1, d) for d in (1, 2, 1, 3)]})
    >>> check_model_quality(ev, discover_inductive_model(ev)).fitness
    1.0
    """
    pm4py = pm4py_module()
    log = pm4py_log(data, case=case, activity=activity, timestamp=timestamp)
    args = (model.net, model.initial_marking, model.final_marking)
    with engine_errors("measuring model quality"):
        fitness = pm4py.fitness_token_based_replay(log, *args, **_keys())["log_fitness"]
        precision = pm4py.precision_token_based_replay(log, *args, **_keys())
        simple = pm4py.simplicity_petri_net(*args)
        general = pm4py.generalization_tbr(log, *args, **_keys())
    return ModelQuality(float(fitness), float(precision), float(simple), float(general))


def _with_quality(
    model: Model, data: Frame, *, case: str | None, activity: str, timestamp: str
) -> Model:
    figures = check_model_quality(data, model, case=case, activity=activity, timestamp=timestamp)
    return Model(
        model.net,
        model.initial_marking,
        model.final_marking,
        tree=model.tree,
        name=model.name,
        quality=figures,
    )


def to_bpmn(model: Model) -> Any:
    """The model as a pm4py BPMN object (from the process tree when there is one)."""
    pm4py = pm4py_module()
    with engine_errors("converting the model to BPMN"):
        if model.tree is not None:
            return pm4py.convert_to_bpmn(model.tree)
        return pm4py.convert_to_bpmn(model.net, model.initial_marking, model.final_marking)


def read_model(path: str | Path) -> Model:
    """Read a to-be model: BPMN 2.0 XML (``.bpmn``, as bpmn.io, Camunda or Signavio save it)
    or PNML (``.pnml``), as an accepting Petri net.

    Examples
    --------
    >>> from pathlib import Path
    >>> model = read_model(Path(__file__).parents[3] / "examples" / "to_be.bpmn")
    >>> "Housing referral" in model.activities
    True
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError(
            f"The model file {path} does not exist; give the path of a .bpmn or .pnml file."
        )
    suffix = path.suffix.lower()
    pm4py = pm4py_module()
    if suffix == ".bpmn":
        with engine_errors(f"reading the BPMN model {path.name}"):
            bpmn = pm4py.read_bpmn(str(path))
            net, im, fm = pm4py.convert_to_petri_net(bpmn)
    elif suffix == ".pnml":
        with engine_errors(f"reading the PNML model {path.name}"):
            net, im, fm = pm4py.read_pnml(str(path))
    else:
        raise SourceError(
            f"The model file {path} has suffix '{path.suffix}'; expected '.bpmn' (BPMN 2.0 XML) "
            "or '.pnml' (Petri net markup language)."
        )
    if not im or not fm:
        raise MiningError(
            f"The model {path.name} has no {'initial' if not im else 'final'} marking; draw one "
            "start event and one end event (BPMN) or mark the initial and final places (PNML)."
        )
    return Model(net, im, fm, name=path.stem)


def write_bpmn(model: Model, path: str | Path) -> Path:
    """Write the model as BPMN 2.0 XML (with diagram layout) and return the path."""
    path = Path(path)
    pm4py = pm4py_module()
    bpmn = to_bpmn(model)
    with engine_errors(f"writing BPMN to {path}"):
        # pm4py lays the diagram out with Graphviz; without it the file has no diagram part
        pm4py.write_bpmn(bpmn, str(path), auto_layout=graphviz_available())
    return path


def write_pnml(model: Model, path: str | Path) -> Path:
    """Write the model as PNML and return the path."""
    path = Path(path)
    pm4py = pm4py_module()
    with engine_errors(f"writing PNML to {path}"):
        pm4py.write_pnml(model.net, model.initial_marking, model.final_marking, str(path))
    return path


def graphviz_available() -> bool:
    """Whether pm4py can draw images: the ``graphviz`` package and the ``dot`` program."""
    return importlib.util.find_spec("graphviz") is not None and shutil.which("dot") is not None


def write_image(
    model: Model, path: str | Path, *, notation: Literal["petri_net", "bpmn"] = "petri_net"
) -> Path:
    """Draw the model with pm4py's Graphviz renderer to a ``.png`` or ``.svg`` file.

    Raises :class:`DependencyError` when Graphviz is not installed.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in _IMAGE_FORMATS:
        raise DataError(
            f"The image path {path} must end with .png or .svg. Got '{path.suffix or 'none'}'."
        )
    if not graphviz_available():
        raise DependencyError(
            "Drawing a model needs Graphviz: the 'dot' program (apt-get install graphviz, "
            "brew install graphviz or https://graphviz.org/download/) and the Python package "
            "(pip install graphviz). BPMN and PNML export work without it: use write_bpmn or "
            "write_pnml."
        )
    pm4py = pm4py_module()
    with engine_errors(f"drawing the model to {path}"):
        if notation == "bpmn":
            pm4py.save_vis_bpmn(to_bpmn(model), str(path))
        else:
            pm4py.save_vis_petri_net(
                model.net, model.initial_marking, model.final_marking, str(path)
            )
    return path
