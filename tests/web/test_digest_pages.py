"""Digest and mail pages for the six personas: preferences, preview, send now, unsubscribe,
the admin's outbox (with retry), delivery log and mail view."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlmodel import Session

from matchmaker import digests
from matchmaker.config import Settings
from matchmaker.models import DigestDelivery, OutboxMessage
from tests.digest_helpers import with_matches
from tests.factories import World
from tests.helpers import drain_outbox, post_form, sent_mails, text_of
from tests.web.staff_access import ADMIN_ONLY, client_for, status_by_persona

MANAGERS_ONLY = {
    "anonymous": 302,
    "same_company": 403,
    "other_company": 403,
    "manager_same_network": 200,
    "manager_other_network": 200,
    "admin": 403,
}
PREFERENCES = {
    "enabled": "on",
    "weekday": "2",
    "hour": "8",
    "min_score": "40",
    "empty_week": "skip",
}


def _posted(
    app: Flask,
    world: World,
    url: str,
    data: dict[str, str],
    personas: tuple[str, ...] = tuple(MANAGERS_ONLY),
) -> dict[str, int]:
    """Status per persona for a form post (a 302 may be a success or the login redirect)."""
    result = {}
    for persona in personas:
        response = post_form(client_for(app, world, persona), url, data)
        location = response.headers.get("Location", "")
        result[persona] = (
            -302 if response.status_code == 302 and "/login" in location else response.status_code
        )
    return result


def test_manager_pages_for_every_persona(app: Flask, world: World) -> None:
    assert status_by_persona(app, world, "/manage/digest") == MANAGERS_ONLY
    assert status_by_persona(app, world, "/manage/digest/preview") == MANAGERS_ONLY
    done = {k: {200: 302, 302: -302}.get(v, v) for k, v in MANAGERS_ONLY.items()}
    assert _posted(app, world, "/manage/digest", PREFERENCES) == done
    assert _posted(app, world, "/manage/digest/send", {}) == done


def test_preferences_are_saved_and_every_error_is_shown_at_once(
    app: Flask, session: Session, world: World
) -> None:
    client = client_for(app, world, "manager_same_network")
    bad = {"weekday": "9", "hour": "24", "min_score": "-1", "empty_week": "x", "networks": "999"}
    response = post_form(client, "/manage/digest", bad)
    assert response.status_code == 422
    page = text_of(response)
    assert page.count('class="field-error"') == 5
    assert 'value="24"' in page  # the input is kept
    assert post_form(client, "/manage/digest", PREFERENCES).status_code == 302
    session.expire_all()
    preference = digests.preference_for(session, world.manager_a)
    assert (preference.weekday, preference.hour, preference.min_score) == (2, 8, 0.4)
    assert preference.empty_week == "skip" and preference.enabled
    page = text_of(client.get("/manage/digest"))
    assert 'value="8"' in page and 'value="40"' in page


def test_preview_uses_the_mail_template_and_send_now_is_idempotent_unless_forced(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    with_matches(session, world)
    client = client_for(app, world, "manager_same_network")
    preview = client.get("/manage/digest/preview")
    assert preview.status_code == 200
    assert "style-src 'unsafe-inline'" in preview.headers["Content-Security-Policy"]
    assert "script-src" not in preview.headers["Content-Security-Policy"]
    html = text_of(preview)
    assert f"Guten Tag {world.manager_a.name}," in html and "Edelstahlblech 2 mm übrig" in html
    assert post_form(client, "/manage/digest/send", {}).status_code == 302
    assert post_form(client, "/manage/digest/send", {}).status_code == 302
    assert len(sent_mails(settings.instance_path)) == 1
    page = text_of(client.get("/manage/digest"))
    assert "wurde schon gesendet" in page
    assert post_form(client, "/manage/digest/send", {"force": "on"}).status_code == 302
    mails = sent_mails(settings.instance_path)
    assert len(mails) == 2
    sent_html = mails[0].get_body(("html",))
    assert sent_html is not None
    assert "Edelstahlblech 2 mm übrig" in sent_html.get_content()
    (delivery,) = session.scalars(select(DigestDelivery)).all()
    assert (delivery.trigger, delivery.forced_count) == ("manual", 1)


def test_unsubscribe_link_for_every_persona(app: Flask, world: World) -> None:
    token = digests.unsubscribe_token(app.config["MATCHMAKER"].secret_key, world.manager_a)
    url = f"/digest/unsubscribe/{token}"
    every = dict.fromkeys(MANAGERS_ONLY, 200)
    assert status_by_persona(app, world, url) == every
    assert _posted(app, world, url, {}) == every
    assert status_by_persona(app, world, url + "x") == dict.fromkeys(MANAGERS_ONLY, 404)


def _dead_message(app: Flask, session: Session, world: World) -> OutboxMessage:
    with app.app_context():
        digests.send_digest(
            session=session,
            manager=world.manager_a,
            week="2026-W50",
            secret_key="k",
            trigger="cli",
        )
    session.commit()
    row = session.scalars(select(OutboxMessage)).one()
    row.state, row.attempts, row.last_error = "dead", 3, "550 no such user"
    session.commit()
    return row


def test_admin_pages_for_every_persona(app: Flask, session: Session, world: World) -> None:
    row = _dead_message(app, session, world)
    assert status_by_persona(app, world, "/admin/outbox") == ADMIN_ONLY
    assert status_by_persona(app, world, "/admin/outbox?state=dead") == ADMIN_ONLY
    assert status_by_persona(app, world, "/admin/digests") == ADMIN_ONLY
    assert status_by_persona(app, world, "/admin/mail") == ADMIN_ONLY
    non_admin = [p for p in ADMIN_ONLY if p != "admin"]
    retry = f"/admin/outbox/{row.id}/retry"
    refused = _posted(app, world, retry, {}, personas=tuple(non_admin))
    assert refused == {p: -302 if ADMIN_ONLY[p] == 302 else ADMIN_ONLY[p] for p in non_admin}
    session.expire_all()
    assert session.get(OutboxMessage, row.id).state == "dead"  # type: ignore[union-attr]
    assert _posted(app, world, retry, {}, personas=("admin",)) == {"admin": 302}
    # The admin's request drained the outbox after the retry: the message is sent now.
    session.expire_all()
    assert session.get(OutboxMessage, row.id).state == "sent"  # type: ignore[union-attr]
    (name,) = [p.name for p in (app.config["MATCHMAKER"].instance_path / "mail").glob("*.eml")]
    assert status_by_persona(app, world, f"/admin/mail/{name}") == ADMIN_ONLY
    assert status_by_persona(app, world, "/admin/mail/missing.eml", personas=("admin",)) == {
        "admin": 404
    }


def test_admin_sees_states_errors_and_configuration_problems(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    _dead_message(app, session, world)
    admin = client_for(app, world, "admin")
    page = text_of(admin.get("/admin/outbox?state=dead"))
    assert "550 no such user" in page and world.manager_a.email in page
    assert "MATCHMAKER_MAIL_FROM" not in page
    broken = settings.model_copy(update={"mail_from": "Matchmaker <kein-absender>"})
    app.config["MATCHMAKER"] = broken
    page = text_of(admin.get("/admin/outbox"))
    assert "MATCHMAKER_MAIL_FROM is not a valid sender address" in page
    drain_outbox(app)
    log = text_of(admin.get("/admin/digests"))
    assert "2026-W50" in log and world.manager_a.email in log
