"""``/api/v1/matches``: the review queue and its decisions for a network's own tools.

The same services as the web queue: managers see and decide their networks' matches, admins
all; an invalid step (e.g. introducing a rejected match) answers 409 with the current status.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from spectree import Tag

from matchmaker.access import Actor
from matchmaker.api import bp
from matchmaker.api.common import ID, api_actor, db, page_link_header
from matchmaker.api.postings import posting_out
from matchmaker.api.schemas import MAX_PAGE, ErrorOut, ExplanationOut, PostingPublic
from matchmaker.api.spec import SECURITY, responses, spec
from matchmaker.catalog import list_networks
from matchmaker.errors import InvalidInput
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Match
from matchmaker.pagination import MAX_PER_PAGE
from matchmaker.review import decisions, introductions, queue, states
from matchmaker.schemas import Strict

MATCHES = Tag(name="matches", description="Suggested need–offer pairs and their review.")
PATH = {"match_id": "The match's id."}

StatusFilter = Literal[
    "waiting", "suggested", "approved", "rejected", "snoozed", "introduced", "retired", "all"
]
Reason = Literal["wrong_category", "wrong_material", "too_far", "quantity", "duplicate", "other"]


class ReviewQuery(Strict):
    """Filters of the review queue, as on the web page; unknown parameters are refused."""

    status: StatusFilter = Field(
        default="waiting",
        description="`waiting` (suggested, and snoozed ones whose date has come), a status, "
        "or `all`.",
    )
    category: str | None = Field(default=None, max_length=40, description="A category slug.")
    network: str | None = Field(
        default=None, max_length=60, description="A network slug of one of your networks."
    )
    min_score: float | None = Field(default=None, ge=0, le=1, description="Lowest score.")
    source: Literal["engine", "company"] | None = None
    sort: Literal["score", "date", "category"] = "score"
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    per_page: int = Field(default=20, ge=1, le=MAX_PER_PAGE)


class ReviewOut(BaseModel):
    """A match with its review state and both postings."""

    id: int
    status: str = Field(description="suggested, approved, rejected, snoozed, introduced, retired.")
    source: str = Field(description="`engine`, or `company` for an expression of interest.")
    score: float = Field(ge=0, le=1)
    components: dict[str, float]
    explanation: ExplanationOut
    engine_version: str
    need: PostingPublic
    offer: PostingPublic
    actions: list[str] = Field(description="The steps allowed now.")
    decided_at: datetime | None = None
    reject_reason: str | None = None
    reject_note: str = ""
    snoozed_until: date | None = None
    introduced_at: datetime | None = None
    outcome: str | None = Field(default=None, description="deal, in_talks or no_deal.")
    outcome_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class ReviewPage(BaseModel):
    items: list[ReviewOut]
    page: int
    per_page: int
    total: int
    pages: int


class RejectIn(Strict):
    reason: Reason
    note: str = Field(default="", max_length=decisions.NOTE_MAX, description="Required for other.")


class SnoozeIn(Strict):
    until: date = Field(description="The day the match is due again (after today).")


class IntroduceIn(Strict):
    need_message: str = Field(
        default="", max_length=introductions.MESSAGE_MAX, description="Text to the need's side."
    )
    offer_message: str = Field(
        default="", max_length=introductions.MESSAGE_MAX, description="Text to the offer's side."
    )


class OutcomeIn(Strict):
    outcome: Literal["deal", "in_talks", "no_deal"]


def review_out(match: Match) -> ReviewOut:
    assert match.id is not None
    return ReviewOut(
        id=match.id,
        status=match.status,
        source=match.source,
        score=match.score,
        components=match.components,
        explanation=ExplanationOut.model_validate(match.explanation),
        engine_version=match.engine_version,
        need=posting_out(match.need),
        offer=posting_out(match.offer),
        actions=states.allowed_actions(match),
        decided_at=match.decided_at,
        reject_reason=match.reject_reason,
        reject_note=match.reject_note,
        snoozed_until=match.snoozed_until,
        introduced_at=match.introduced_at,
        outcome=match.outcome,
        outcome_at=match.outcome_at,
        created_at=match.created_at,
        updated_at=match.updated_at,
    )


def _network_filter(actor: Actor, slug: str | None) -> str | None:
    if slug is None:
        return None
    mine = {
        n.slug
        for n in list_networks(session=db(), include_inactive=True)
        if actor.is_admin or n.id in actor.network_ids
    }
    if slug not in mine:
        raise InvalidInput.single("network", "unknown_network", _l("Unknown network."))
    return slug


@bp.get("/matches")
@spec.validate(
    resp=responses(HTTP_200=ReviewPage, HTTP_403=ErrorOut),
    tags=[MATCHES],
    security=SECURITY,
    operation_id="listMatches",
)
def list_matches(query: ReviewQuery) -> Any:
    """List the matches to review

    The matches of your networks (a cross-network match for the managers of both; admins: all),
    filtered and sorted as on the review page. Members get 403.
    """
    actor = api_actor()
    filters = queue.QueueFilters(
        status=query.status,
        category=query.category,
        network=_network_filter(actor, query.network),
        min_score=query.min_score,
        source=query.source,
        sort=query.sort,
    )
    page = queue.review_queue(
        session=db(), actor=actor, filters=filters, page=query.page, per_page=query.per_page
    )
    body = ReviewPage(
        items=[review_out(match) for match in page.items],
        page=page.page,
        per_page=page.per_page,
        total=page.total,
        pages=page.pages,
    )
    return body, 200, {"Link": page_link_header(page, "api.list_matches")}


@bp.get(f"/matches/<{ID}:match_id>")
@spec.validate(
    resp=responses(HTTP_200=ReviewOut, HTTP_403=ErrorOut, HTTP_404=ErrorOut),
    tags=[MATCHES],
    security=SECURITY,
    operation_id="getMatch",
    path_parameter_descriptions=PATH,
)
def get_match(match_id: int) -> Any:
    """Read one match with both postings and its review state"""
    return review_out(decisions.get_match(session=db(), actor=api_actor(), match_id=match_id))


DECISION_RESPONSES = responses(
    HTTP_200=ReviewOut, HTTP_403=ErrorOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut
)


@bp.post(f"/matches/<{ID}:match_id>/approve")
@spec.validate(
    resp=DECISION_RESPONSES,
    tags=[MATCHES],
    security=SECURITY,
    operation_id="approveMatch",
    path_parameter_descriptions=PATH,
)
def approve_match(match_id: int) -> Any:
    """Approve a suggested or snoozed match (409 from any other status)"""
    return review_out(decisions.approve(session=db(), actor=api_actor(), match_id=match_id))


@bp.post(f"/matches/<{ID}:match_id>/reject")
@spec.validate(
    resp=DECISION_RESPONSES,
    tags=[MATCHES],
    security=SECURITY,
    operation_id="rejectMatch",
    path_parameter_descriptions=PATH,
)
def reject_match(match_id: int, json: RejectIn) -> Any:
    """Reject a match with a reason

    The pair is not suggested again unless one of its postings changes materially. `other`
    needs a `note`.
    """
    match = decisions.reject(
        session=db(), actor=api_actor(), match_id=match_id, reason=json.reason, note=json.note
    )
    return review_out(match)


@bp.post(f"/matches/<{ID}:match_id>/snooze")
@spec.validate(
    resp=DECISION_RESPONSES,
    tags=[MATCHES],
    security=SECURITY,
    operation_id="snoozeMatch",
    path_parameter_descriptions=PATH,
)
def snooze_match(match_id: int, json: SnoozeIn) -> Any:
    """Put a match aside until a date (within a year)"""
    match = decisions.snooze(session=db(), actor=api_actor(), match_id=match_id, until=json.until)
    return review_out(match)


@bp.post(f"/matches/<{ID}:match_id>/introduce")
@spec.validate(
    resp=DECISION_RESPONSES,
    tags=[MATCHES],
    security=SECURITY,
    operation_id="introduceMatch",
    path_parameter_descriptions=PATH,
)
def introduce_match(match_id: int, json: IntroduceIn) -> Any:
    """Introduce the two companies of an approved match

    Both companies' contacts get one e-mail naming the other company, its contact and both
    postings; from now on each sees the other's contact details. 409 unless approved.
    """
    match = introductions.introduce(
        session=db(),
        actor=api_actor(),
        match_id=match_id,
        texts=introductions.Texts(need=json.need_message, offer=json.offer_message),
    )
    return review_out(match)


@bp.post(f"/matches/<{ID}:match_id>/outcome")
@spec.validate(
    resp=DECISION_RESPONSES,
    tags=[MATCHES],
    security=SECURITY,
    operation_id="recordMatchOutcome",
    path_parameter_descriptions=PATH,
)
def record_outcome(match_id: int, json: OutcomeIn) -> Any:
    """Record how an introduction ended (`in_talks` may later become `deal` or `no_deal`)"""
    match = decisions.record_outcome(
        session=db(), actor=api_actor(), match_id=match_id, outcome=json.outcome
    )
    return review_out(match)
