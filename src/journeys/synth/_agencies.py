"""The synthetic local system: agencies, their services and the activities they record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["ACTIVITIES", "AGENCIES", "HOUSING_CHARITIES", "Agency", "activity_index"]


@dataclass(frozen=True)
class Agency:
    """One organisation of the synthetic system."""

    code: str
    name: str
    service: str
    ref_prefix: str
    #: Whether the agency records the NHS number (health and social care do).
    records_nhs_number: bool


AGENCIES: Final[tuple[Agency, ...]] = (
    Agency("ae", "Riverside Hospital A&E", "emergency_care", "AE", True),
    Agency("acute", "Riverside Hospital acute wards", "inpatient", "RX", True),
    Agency("ambulance", "County Ambulance Service", "ambulance", "CAD", True),
    Agency("gp", "Northgate GP and community health", "primary_care", "GP", True),
    Agency("asc", "County adult social care", "social_care", "ASC", True),
    Agency("police", "County Police", "police", "PN", False),
    Agency("probation", "Probation Service, County region", "probation", "PR", False),
    Agency("haven_housing", "Haven Housing Trust", "housing", "HH", False),
    Agency("open_door", "Open Door Housing", "housing", "OD", False),
    Agency("safe_steps", "Safe Steps", "housing", "SS", False),
    Agency("bridge_trust", "Bridge Trust", "housing", "BT", False),
)
HOUSING_CHARITIES: Final = ("haven_housing", "open_door", "safe_steps", "bridge_trust")

#: (agency code, activity) pairs; an activity's position here is its code in the generator.
ACTIVITIES: Final[tuple[tuple[str, str], ...]] = (
    ("ambulance", "Ambulance call"),
    ("ambulance", "Conveyance to A&E"),
    ("ae", "A&E arrival"),
    ("ae", "A&E triage"),
    ("ae", "Decision to admit"),
    ("ae", "A&E discharge"),
    ("ae", "Mental health assessment"),
    ("acute", "Emergency admission"),
    ("acute", "Discharge"),
    ("asc", "Social care referral"),
    ("asc", "Care assessment"),
    ("asc", "Care package start"),
    ("asc", "Mental health social work referral"),
    ("gp", "GP appointment"),
    ("police", "Police contact"),
    ("police", "Section 136 detention"),
    ("probation", "Release from custody"),
    ("probation", "Probation induction"),
    ("probation", "Probation supervision"),
    *(
        (charity, activity)
        for charity in HOUSING_CHARITIES
        for activity in ("Housing advice", "Housing referral", "Housing assessment")
    ),
)

_INDEX: Final = {pair: i for i, pair in enumerate(ACTIVITIES)}


def activity_index(agency: str, activity: str) -> int:
    """The generator's code for ``activity`` at ``agency``."""
    return _INDEX[(agency, activity)]
