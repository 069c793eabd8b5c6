"""Tools to test code that embeds the core: strategies, table paths, a stateful test.

Needs Hypothesis (``pip install 'truelayer-lifecycle[testing]'``). Pure like the core:
nothing here reads a clock, a file or the network; the pytest fixtures that need the
shell (a sandbox, stores) are in ``adapters.testing``.
"""

try:
    import hypothesis as _hypothesis  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "lifecycle.testing needs Hypothesis: pip install 'truelayer-lifecycle[testing]'"
    ) from error

from ._fields import (
    SECOND,
    T0,
    boundaries,
    durations_of,
    error_codes,
    instants,
    offsets,
    regions,
    scope_sets,
    secrets,
    texts,
)
from ._inputs import fields_for, input_types, inputs, request_numbers
from ._invariants import InvariantError, check_record, check_step
from ._moves import ANSWERS, CALLBACKS, canonical_input, fits, fitting, moments_of
from ._paths import Path, Paths, shape_of, shortest_paths, simple_paths
from ._stateful import lifecycle_machine
from ._systems import (
    StoreLike,
    System,
    SystemFactory,
    apply_system,
    store_system,
)
from ._timelines import (
    Apply,
    Step,
    Timeline,
    hostile_timelines,
    next_inputs,
    records,
    starts,
    timelines,
)

__all__ = [
    "ANSWERS",
    "CALLBACKS",
    "SECOND",
    "T0",
    "Apply",
    "InvariantError",
    "Path",
    "Paths",
    "Step",
    "StoreLike",
    "System",
    "SystemFactory",
    "Timeline",
    "apply_system",
    "boundaries",
    "canonical_input",
    "check_record",
    "check_step",
    "durations_of",
    "error_codes",
    "fields_for",
    "fits",
    "fitting",
    "hostile_timelines",
    "input_types",
    "inputs",
    "instants",
    "lifecycle_machine",
    "moments_of",
    "next_inputs",
    "offsets",
    "records",
    "regions",
    "request_numbers",
    "scope_sets",
    "secrets",
    "shape_of",
    "shortest_paths",
    "simple_paths",
    "starts",
    "store_system",
    "texts",
    "timelines",
]
