"""Pseudonyms of record ids: one keyed hash per (agency, person_ref), joined back to events."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys import schema as s
from journeys.linkage import pseudonymise_events, pseudonymise_refs

from .conftest import SECRET

_refs = st.lists(
    st.tuples(st.sampled_from(["ae", "gp", "police"]), st.none() | st.sampled_from("abcdef")),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows=_refs)
def test_events_get_the_pseudonym_of_their_own_row_in_order(
    rows: list[tuple[str, str | None]],
) -> None:
    events = pl.DataFrame(
        {
            s.AGENCY: [a for a, _ in rows],
            s.PERSON_REF: [r for _, r in rows],
            s.EVENT_ID: [str(i) for i in range(len(rows))],
        },
        schema={s.AGENCY: pl.String, s.PERSON_REF: pl.String, s.EVENT_ID: pl.String},
    )
    out = pseudonymise_events(events, secret=SECRET).collect()
    # oracle: hashing every row on its own, in place
    expected = pseudonymise_refs(events[s.AGENCY], events[s.PERSON_REF], secret=SECRET)
    assert out.columns == events.columns
    assert out[s.EVENT_ID].to_list() == events[s.EVENT_ID].to_list()
    assert out[s.PERSON_REF].to_list() == expected.to_list()
    assert out[s.PERSON_REF].null_count() == events[s.PERSON_REF].null_count()
