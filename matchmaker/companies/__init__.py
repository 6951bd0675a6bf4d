"""Companies: registration, review by the networks' managers, profile changes.

The parts live in :mod:`.profiles` (registration and profile changes), :mod:`.review` (the
managers' decisions), :mod:`.queries` (reading, with access checks) and :mod:`.events`; callers
use the names re-exported here.
"""

from matchmaker.companies.events import CompanyListener, subscribe
from matchmaker.companies.profiles import (
    PROFILE_FIELDS,
    company_values,
    create_company,
    register_company,
    update_company,
)
from matchmaker.companies.queries import (
    COMPANY_ORDERS,
    company_by_ref,
    count_by_status,
    get_company,
    get_managed_company,
    list_companies,
    registering_member,
)
from matchmaker.companies.review import (
    approve_company,
    reinstate_company,
    reject_company,
    status_label,
    suspend_company,
)

__all__ = [
    "COMPANY_ORDERS",
    "PROFILE_FIELDS",
    "CompanyListener",
    "approve_company",
    "company_by_ref",
    "company_values",
    "count_by_status",
    "create_company",
    "get_company",
    "get_managed_company",
    "list_companies",
    "register_company",
    "registering_member",
    "reinstate_company",
    "reject_company",
    "status_label",
    "subscribe",
    "suspend_company",
    "update_company",
]
