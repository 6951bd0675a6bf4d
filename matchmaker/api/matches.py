"""``/api/v1/postings/{id}/matches``: the engine's stored suggestions for a posting."""

from __future__ import annotations

from typing import Any

from matchmaker import match_jobs, matches
from matchmaker.api import bp
from matchmaker.api.common import ID, api_actor, db
from matchmaker.api.postings import posting_out
from matchmaker.api.schemas import ErrorOut, ExplanationOut, MatchList, MatchOut, MatchQuery
from matchmaker.api.spec import POSTINGS, SECURITY, responses, spec


@bp.get(f"/postings/<{ID}:posting_id>/matches")
@spec.validate(
    resp=responses(HTTP_200=MatchList, HTTP_403=ErrorOut, HTTP_404=ErrorOut),
    tags=[POSTINGS],
    security=SECURITY,
    operation_id="listPostingMatches",
    path_parameter_descriptions={"posting_id": "The posting's id."},
)
def list_posting_matches(posting_id: int, query: MatchQuery) -> Any:
    """List a posting's suggested matches

    The offers suggested for a need (or the needs for an offer), best score first, each with the
    score's components and the engine's explanation: the words and phrases that matched,
    synonyms or translations used, and penalties applied. Matching crosses networks; a match is
    visible to the managers of both companies' networks and to admins. Members and managers of
    other networks get 403 (404 when they may not see the posting at all).
    """
    rows = matches.matches_for_posting(
        session=db(),
        actor=api_actor(),
        posting_id=posting_id,
        include_retired=query.include_retired,
    )
    return MatchList(
        posting_id=posting_id,
        matching_pending=bool(match_jobs.matching_pending(db(), [posting_id])),
        items=[
            MatchOut(
                id=match.id,
                need_id=match.need_id,
                offer_id=match.offer_id,
                score=match.score,
                status=match.status,
                components=match.components,
                explanation=ExplanationOut.model_validate(match.explanation),
                engine_version=match.engine_version,
                partner=posting_out(partner),
                created_at=match.created_at,
                updated_at=match.updated_at,
            )
            for match, partner in rows
        ],
    )
