"""Privacy-preserving record linkage: normalise, encode, block, compare, score, cluster, evaluate.

Each agency runs :func:`encode_identities` on its own identities with the shared secret; the
linkage step (:func:`link_encodings`) sees only the encodings. See Schnell, Bachteler & Reiher
(2009), Schnell (2011), Brown, Randall, Boyd & Ferrante (IJPDS 2019), Fellegi & Sunter (1969).
"""

from __future__ import annotations

import journeys._jit  # noqa: F401 - a fork-safe numba threading layer, before any kernel
from journeys.linkage.block import BlockingStats
from journeys.linkage.encode import encode_identities, write_encodings
from journeys.linkage.evaluate import (
    LinkageMetrics,
    evaluate_blocking,
    evaluate_linkage,
)
from journeys.linkage.explain import explain_link, plot_link_waterfall
from journeys.linkage.link import LinkageResult, link_encodings, link_plaintext
from journeys.linkage.model import FellegiSunterModel
from journeys.linkage.normalise import normalise_identities
from journeys.linkage.secret import (
    SECRET_ENV,
    Secret,
    load_secret,
    pseudonymise_events,
    pseudonymise_refs,
)
from journeys.linkage.settings import (
    BlockingKey,
    EncodingSchema,
    FieldSpec,
    LinkageSettings,
    default_schema,
    read_schema,
    read_settings,
    write_schema,
    write_settings,
)

__all__ = [
    "SECRET_ENV",
    "BlockingKey",
    "BlockingStats",
    "EncodingSchema",
    "FellegiSunterModel",
    "FieldSpec",
    "LinkageMetrics",
    "LinkageResult",
    "LinkageSettings",
    "Secret",
    "default_schema",
    "encode_identities",
    "evaluate_blocking",
    "evaluate_linkage",
    "explain_link",
    "link_encodings",
    "link_plaintext",
    "load_secret",
    "normalise_identities",
    "plot_link_waterfall",
    "pseudonymise_events",
    "pseudonymise_refs",
    "read_schema",
    "read_settings",
    "write_encodings",
    "write_schema",
    "write_settings",
]
