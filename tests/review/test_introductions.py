"""Introductions: mails on a real SMTP server, contact details only from then on, the company's
view of its posting, and the follow-up with signed one-click answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from sqlmodel import Session

from matchmaker.access import Actor
from matchmaker.db import utcnow
from matchmaker.models import Match, MatchEvent
from matchmaker.review import awaiting_outcome, decisions, followups, introductions
from tests.api.conftest import Api
from tests.factories import World
from tests.helpers import drain_outbox, login_as, post_form, text_of
from tests.smtp import SmtpServer, smtp_app, smtp_server, smtp_settings  # noqa: F401
from tests.web.staff_access import client_for


def introduce(app: Flask, session: Session, world: World, match: Match) -> Match:
    actor = Actor.for_user(session, world.manager_a)
    with app.app_context():
        decisions.approve(session=session, actor=actor, match_id=match.id)  # type: ignore[arg-type]
        done = introductions.introduce(
            session=session,
            actor=actor,
            match_id=match.id,  # type: ignore[arg-type]
        )
    session.commit()
    return done


def test_an_introduction_mails_both_contacts_once_on_a_real_smtp_server(
    smtp_app: Flask,  # noqa: F811
    smtp_server: SmtpServer,  # noqa: F811
    session: Session,
    world: World,
    steel_match: Match,
) -> None:
    client = login_as(smtp_app.test_client(), world.manager_b)
    url = f"/manager/matches/{steel_match.id}/decide"
    assert post_form(client, url, {"action": "approve"}).status_code == 303
    page = text_of(client.get(f"/manager/matches/{steel_match.id}"))
    assert 'name="need_message"' in page and "Berta Logistik GmbH" in page
    response = post_form(
        client,
        url,
        {"action": "introduce", "need_message": "Liebe Alpha, bitte sprechen Sie mit Berta."},
    )
    assert response.status_code == 303
    assert post_form(client, url, {"action": "introduce"}).status_code == 303  # refused: 409
    drain_outbox(smtp_app)
    recipients = sorted(str(message["To"]) for message in smtp_server.messages)
    assert len(recipients) == 2, recipients
    by_company = {
        company.id: next(m for m in smtp_server.messages if company.contact_email in str(m["To"]))
        for company in (world.company_a1, world.company_b1)
    }
    to_need = by_company[world.company_a1.id].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Liebe Alpha, bitte sprechen Sie mit Berta." in to_need
    assert world.company_b1.contact_email in to_need and "Berta Logistik GmbH" in to_need
    to_offer = by_company[world.company_b1.id].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert world.company_a1.contact_email in to_offer
    assert world.posting_a1.title in to_offer  # both postings are named


def test_contact_details_only_after_the_introduction(
    app: Flask, api: Api, session: Session, world: World, steel_match: Match
) -> None:
    offer = world.extra["steel_offer"]
    member = login_as(app.test_client(), world.member_a1)
    page = f"/postings/{offer.id}"
    assert world.company_b1.contact_email not in text_of(member.get(page))
    assert (
        api.get(f"companies/{world.company_b1.id}", as_="same_company").get_json()["contact"]
        is None
    )
    own = text_of(member.get(f"/my/postings/{world.posting_a1.id}"))
    assert "Berta" not in own  # under review: a number, never the other side
    assert 'id="review"' in own
    introduce(app, session, world, steel_match)
    assert world.company_b1.contact_email in text_of(member.get(page))
    contact = api.get(f"companies/{world.company_b1.id}", as_="same_company").get_json()["contact"]
    assert contact["email"] == world.company_b1.contact_email
    own = text_of(member.get(f"/my/postings/{world.posting_a1.id}"))
    assert "Berta Logistik GmbH" in own and world.company_b1.contact_email in own
    # a colleague company of the same network is still not introduced
    assert (
        api.get(f"companies/{world.company_b1.id}", as_="other_company").get_json()["contact"]
        is None
    )


def _links(app: Flask, session: Session, world: World, match: Match) -> dict[str, dict[str, str]]:
    with app.test_request_context():
        return followups.links_for(match)


def test_follow_ups_are_sent_once_when_due_with_working_one_click_links(
    app: Flask, session: Session, world: World, steel_match: Match
) -> None:
    match = introduce(app, session, world, steel_match)
    assert [m.id for m in awaiting_outcome(session=session, network_ids={world.network_a.id})] == [
        match.id
    ]
    with app.app_context():
        assert followups.send_due_followups(session=session, now=utcnow()) == 0  # not due yet
        later = utcnow() + timedelta(days=14, minutes=1)
        assert followups.send_due_followups(session=session, now=later) == 2
        assert followups.send_due_followups(session=session, now=later) == 0  # once
    session.commit()
    links = _links(app, session, world, match)
    client = app.test_client()
    path = links["need"]["in_talks"].removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    session.expire_all()
    assert session.get(Match, match.id).outcome is None  # type: ignore[union-attr]  # GET changes nothing
    confirm = post_form(client, path)
    assert confirm.status_code == 200
    session.expire_all()
    assert session.get(Match, match.id).outcome == "in_talks"  # type: ignore[union-attr]
    post_form(client, path)  # the same link again: recorded once
    events = session.execute(
        select(MatchEvent).where(MatchEvent.match_id == match.id, MatchEvent.action == "outcome")
    ).scalars()
    assert len(list(events)) == 1
    deal = links["offer"]["deal"].removeprefix("http://localhost")
    assert post_form(client, deal).status_code == 200
    session.expire_all()
    assert session.get(Match, match.id).outcome == "deal"  # type: ignore[union-attr]
    no_deal = links["need"]["no_deal"].removeprefix("http://localhost")
    assert post_form(client, no_deal).status_code == 409  # final already


@pytest.mark.parametrize("kind", ["forged", "broken", "expired"])
def test_bad_links_are_not_found(
    app: Flask, session: Session, world: World, steel_match: Match, kind: str
) -> None:
    match = introduce(app, session, world, steel_match)
    if kind == "forged":
        token = URLSafeTimedSerializer("not-the-secret", salt=followups.SALT).dumps(
            {"m": match.id, "s": "need", "a": "deal"}
        )
    elif kind == "broken":
        token = "abc.def"
    else:
        with app.test_request_context():
            token = followups.sign(match.id, "need", "deal")  # type: ignore[arg-type]
        original = followups.LINK_DAYS
        followups.LINK_DAYS = -1
    try:
        client: FlaskClient = app.test_client()
        assert client.get(f"/introductions/answer/{token}").status_code == 404
        assert post_form(client, f"/introductions/answer/{token}").status_code == 404
    finally:
        if kind == "expired":
            followups.LINK_DAYS = original
    session.expire_all()
    assert session.get(Match, match.id).outcome is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "persona",
    [
        "anonymous",
        "same_company",
        "other_company",
        "manager_same_network",
        "manager_other_network",
        "admin",
    ],
)
def test_answer_links_work_for_everybody_without_login(
    app: Flask, session: Session, world: World, steel_match: Match, persona: str
) -> None:
    match = introduce(app, session, world, steel_match)
    with app.test_request_context():
        token = followups.sign(match.id, "offer", "decline")  # type: ignore[arg-type]
    client = client_for(app, world, persona)
    assert client.get(f"/introductions/answer/{token}").status_code == 200
    assert post_form(client, f"/introductions/answer/{token}").status_code == 200
    session.expire_all()
    assert session.get(Match, match.id).outcome == "no_deal"  # type: ignore[union-attr]
