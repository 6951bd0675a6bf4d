"""``/api/v1/postings``: list, read, create and edit needs and offers; lifecycle steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from matchmaker import postings
from matchmaker.api import bp
from matchmaker.api.common import ID, api_actor, db, etag, if_match_version, page_link_header, url
from matchmaker.api.errors import PreconditionFailed
from matchmaker.api.schemas import (
    CompanyRef,
    ErrorOut,
    PostingCreate,
    PostingLinks,
    PostingPage,
    PostingPublic,
    PostingQuery,
    PostingUpdate,
    RenewInput,
    StatusChange,
)
from matchmaker.api.spec import POSTINGS, SECURITY, responses, spec
from matchmaker.context import settings
from matchmaker.errors import InvalidInput, StaleVersion
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Company, Network, Posting

PATH_IDS = {"posting_id": "The posting's id."}


def posting_out(posting: Posting) -> PostingPublic:
    """A posting as the API shows it (access was checked by the service that loaded it)."""
    assert posting.id is not None
    company = posting.company
    return PostingPublic.model_validate(
        posting,
        update={
            "category": posting.category.slug,
            "company": CompanyRef(id=company.id, name=company.name, city=company.city),
            "links": PostingLinks(
                self_=url("api.get_posting", posting_id=posting.id),
                html=url("public.posting_detail", posting_id=posting.id),
                company=url("api.get_company", company_id=company.id),
            ),
        },
    )


def _one(posting: Posting, status: int = 200, **extra: str) -> Any:
    return posting_out(posting), status, {"ETag": etag(posting.version), **extra}


def _check_filters(query: PostingQuery) -> None:
    """Unknown category or network slugs are a mistake of the caller, not an empty list."""
    session = db()
    problems = []
    if query.category:
        try:
            postings.category_by_slug(session, query.category)
        except InvalidInput as error:
            problems.extend(error.errors)
    if query.network and (
        session.execute(select(Network.id).where(Network.slug == query.network)).first() is None
    ):
        problems.extend(
            InvalidInput.single(
                "network", "unknown_network", _l("Please choose one of the offered networks.")
            ).errors
        )
    if problems:
        raise InvalidInput(problems)


@bp.get("/postings")
@spec.validate(
    resp=responses(HTTP_200=PostingPage),
    tags=[POSTINGS],
    security=SECURITY,
    operation_id="listPostings",
)
def list_postings(query: PostingQuery) -> Any:
    """List the postings you may see

    Without filters: every active, valid posting of an approved company, plus (for members) your
    company's postings, (for managers) your networks' postings and (for admins) all. Newest change
    first. The `Link` header names the first, previous, next and last page.
    """
    _check_filters(query)
    page = postings.search_postings(
        session=db(),
        actor=api_actor(),
        filters=postings.PostingFilters(
            kind=query.kind.value if query.kind else None,
            category=query.category,
            network=query.network,
            postal_prefix=query.plz,
            query=query.q,
            status=query.status.value if query.status else None,
            company_id=query.company,
        ),
        page=query.page,
        per_page=query.per_page,
    )
    body = PostingPage(
        items=[posting_out(posting) for posting in page.items],
        page=page.page,
        per_page=page.per_page,
        total=page.total,
        pages=page.pages,
    )
    return body, 200, {"Link": page_link_header(page, "api.list_postings")}


@bp.post("/postings")
@spec.validate(
    resp=responses(HTTP_201=PostingPublic, HTTP_403=ErrorOut),
    tags=[POSTINGS],
    security=SECURITY,
    operation_id="createPosting",
)
def create_posting(json: PostingCreate) -> Any:
    """Create a need or an offer

    A draft unless `publish` is true. Members post for their own company; admins name the company
    with `company_id`. Managers cannot post (403). Unknown categories and companies answer 422.
    """
    actor = api_actor()
    session = db()
    if actor.is_admin:
        if json.company_id is None:
            raise InvalidInput.single(
                "company_id", "missing", _l("Please name the company to post for.")
            )
        if session.get(Company, json.company_id) is None:
            raise InvalidInput.single(
                "company_id", "unknown_company", _l("This company does not exist.")
            )
    posting = postings.create_posting(
        session=session,
        actor=actor,
        data=json,
        company_id=json.company_id,
        publish=json.publish,
        fallback_language=settings().default_language,
    )
    return _one(posting, 201, Location=url("api.get_posting", posting_id=posting.id))


@bp.get(f"/postings/<{ID}:posting_id>")
@spec.validate(
    resp=responses(HTTP_200=PostingPublic, HTTP_404=ErrorOut),
    tags=[POSTINGS],
    security=SECURITY,
    operation_id="getPosting",
    path_parameter_descriptions=PATH_IDS,
)
def get_posting(posting_id: int) -> Any:
    """Read a posting

    Postings you may not see answer 404, as if they did not exist. The `ETag` header carries the
    version for `If-Match`.
    """
    return _one(postings.get_posting(session=db(), actor=api_actor(), posting_id=posting_id))


@bp.patch(f"/postings/<{ID}:posting_id>")
@spec.validate(
    resp=responses(
        HTTP_200=PostingPublic,
        HTTP_403=ErrorOut,
        HTTP_404=ErrorOut,
        HTTP_409=ErrorOut,
        HTTP_412=ErrorOut,
    ),
    tags=[POSTINGS],
    security=SECURITY,
    operation_id="updatePosting",
    path_parameter_descriptions=PATH_IDS,
)
def update_posting(posting_id: int, json: PostingUpdate) -> Any:
    """Change some fields of a posting

    Send only the fields to change. For a safe edit send the version you read, either as
    `If-Match: "<version>"` (a newer stored version answers 412) or as `version` in the body
    (answers 409). Fulfilled and withdrawn postings cannot be edited (409). Only the company's
    members and admins may edit (403).
    """
    changes = {name: getattr(json, name) for name in json.model_fields_set if name != "version"}
    header_version = if_match_version()
    body_version = json.version
    try:
        posting = postings.update_posting(
            session=db(),
            actor=api_actor(),
            posting_id=posting_id,
            changes=changes,
            expected_version=header_version if header_version is not None else body_version,
        )
    except StaleVersion as error:
        if header_version is not None:
            raise PreconditionFailed(error.message) from error
        raise
    return _one(posting)


STATUS_ACTIONS: dict[str, tuple[str, str]] = {
    "publish": (
        "publishPosting",
        "Publish a draft\n\nMembers of the company and admins; a posting whose validity has "
        "ended must be renewed first (409).",
    ),
    "pause": (
        "pausePosting",
        "Pause an active posting\n\nMembers of the company, managers of its networks "
        "(moderation) and admins.",
    ),
    "resume": (
        "resumePosting",
        "Resume a paused posting\n\nMembers of the company and admins.",
    ),
    "fulfil": (
        "fulfilPosting",
        "Mark a posting as fulfilled\n\nCloses it; members of the company and admins.",
    ),
    "withdraw": (
        "withdrawPosting",
        "Withdraw a posting\n\nCloses it; members of the company, managers of its networks "
        "(moderation) and admins. The reason is kept in the audit log.",
    ),
}


def _status_view(action: str, doc: str) -> Callable[..., Any]:
    def view(posting_id: int, json: StatusChange) -> Any:
        posting = postings.change_status(
            session=db(),
            actor=api_actor(),
            posting_id=posting_id,
            action=action,
            reason=json.reason,
        )
        return _one(posting)

    view.__name__ = f"{action}_posting"
    view.__qualname__ = view.__name__
    view.__doc__ = (
        doc + "\n\nA step that is not possible in the posting's current status answers 409."
    )
    return view


for _action, (_operation, _doc) in STATUS_ACTIONS.items():
    bp.add_url_rule(
        f"/postings/<{ID}:posting_id>/{_action}",
        endpoint=f"{_action}_posting",
        methods=["POST"],
        view_func=spec.validate(
            resp=responses(
                HTTP_200=PostingPublic, HTTP_403=ErrorOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut
            ),
            tags=[POSTINGS],
            security=SECURITY,
            operation_id=_operation,
            path_parameter_descriptions=PATH_IDS,
        )(_status_view(_action, _doc)),
    )


@bp.post(f"/postings/<{ID}:posting_id>/renew")
@spec.validate(
    resp=responses(HTTP_200=PostingPublic, HTTP_403=ErrorOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut),
    tags=[POSTINGS],
    security=SECURITY,
    operation_id="renewPosting",
    path_parameter_descriptions=PATH_IDS,
)
def renew_posting(posting_id: int, json: RenewInput) -> Any:
    """Extend a posting's validity

    Active, paused and expired postings; expired ones go live again. Members of the company and
    admins. A date in the past or too far ahead answers 422.
    """
    posting = postings.renew_posting(
        session=db(), actor=api_actor(), posting_id=posting_id, valid_until=json.valid_until
    )
    return _one(posting)
