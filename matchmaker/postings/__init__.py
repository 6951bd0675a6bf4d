"""Needs and offers: creating, editing, the status lifecycle, search and expiry.

Lifecycle::

    draft --publish--> active --pause--> paused --resume--> active
    active/paused --(valid_until passed)--> expired --renew--> active
    draft/active/paused/expired --withdraw--> withdrawn        (closed)
    active/paused/expired --fulfil--> fulfilled                (closed)

Services flush and never commit; the entry point commits once. The parts live in
:mod:`.states` (the lifecycle's rules and labels), :mod:`.queries` (reading, with access checks),
:mod:`.editing` (content), :mod:`.lifecycle` (status steps) and :mod:`.events` (what follows a
change); callers use the names re-exported here.
"""

from matchmaker.postings.editing import (
    EDITABLE_FIELDS,
    Limits,
    category_by_slug,
    check_validity,
    create_posting,
    parse_posting,
    posting_values,
    update_posting,
)
from matchmaker.postings.lifecycle import (
    change_status,
    expire_postings,
    moderate_posting,
    renew_posting,
)
from matchmaker.postings.queries import (
    HistoryEntry,
    PostingFilters,
    count_managed_postings,
    get_editable_posting,
    get_moderated_posting,
    get_posting,
    posting_history,
    search_postings,
    status_counts,
)
from matchmaker.postings.states import (
    CLOSED_STATUSES,
    EDITABLE,
    MODERATION_ACTIONS,
    OPEN_STATUSES,
    RENEWABLE,
    TRANSITIONS,
    available_actions,
    kind_label,
    status_label,
)

__all__ = [
    "CLOSED_STATUSES",
    "EDITABLE",
    "EDITABLE_FIELDS",
    "MODERATION_ACTIONS",
    "OPEN_STATUSES",
    "RENEWABLE",
    "TRANSITIONS",
    "HistoryEntry",
    "Limits",
    "PostingFilters",
    "available_actions",
    "category_by_slug",
    "change_status",
    "check_validity",
    "count_managed_postings",
    "create_posting",
    "expire_postings",
    "get_editable_posting",
    "get_moderated_posting",
    "get_posting",
    "kind_label",
    "moderate_posting",
    "parse_posting",
    "posting_history",
    "posting_values",
    "renew_posting",
    "search_postings",
    "status_counts",
    "status_label",
    "update_posting",
]
