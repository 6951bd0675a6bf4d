"""The member area: dashboard, posting forms, the lifecycle through the pages, the profile."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from matchmaker import companies, postings
from matchmaker.access import Actor
from matchmaker.models import Company, CompanyStatus, Posting, PostingStatus
from tests.factories import World, make_posting
from tests.helpers import login_as, post_form, text_of
from tests.web.pages import (
    body,
    edit_form,
    field_error,
    input_value,
    posting_form,
    snapshot,
    stored,
    today,
)


@pytest.fixture
def member(client: FlaskClient, world: World) -> FlaskClient:
    """A member of Alpha Feinmechanik (network Nord), reading English pages."""
    client.get("/language/en")
    return login_as(client, world.member_a1)


# --- dashboard ---------------------------------------------------------------------------------


def test_dashboard_shows_postings_counts_and_actions(
    member: FlaskClient, session: Session, world: World
) -> None:
    make_posting(session, world.member_a1, title="Gitterboxen abzugeben", kind="offer")
    paused = make_posting(session, world.member_a1, title="Stapler Linde H25 gesucht")
    postings.change_status(
        session=session,
        actor=Actor.for_user(session, world.member_a1),
        posting_id=paused.id,  # type: ignore[arg-type]
        action="pause",
    )
    session.commit()
    page = body(member, "/my/")
    assert "Alpha Feinmechanik GmbH" in page
    assert "New need" in page and "New offer" in page
    assert 'href="/my/postings/new?kind=need"' in page
    assert 'data-status-count="all">4<' in page
    assert 'data-status-count="active">2<' in page
    assert 'data-status-count="draft">1<' in page
    assert 'data-status-count="paused">1<' in page
    assert 'data-status-count="withdrawn">0<' in page
    for title in ("Gitterboxen abzugeben", "Stapler Linde H25 gesucht", "Freie Fräskapazität"):
        assert title in page
    # Other companies' postings never show up here.
    assert "LKW-Laderaum" not in page
    # The draft offers "Publish", the paused one "Resume", the active ones "Pause".
    assert f'action="/my/postings/{world.draft_a1.id}/publish"' in page
    assert f'action="/my/postings/{paused.id}/resume"' in page
    assert f'action="/my/postings/{world.posting_a1.id}/pause"' in page
    assert f'action="/my/postings/{world.draft_a1.id}/pause"' not in page
    assert f'href="/my/postings/{world.draft_a1.id}/withdraw"' in page


def test_dashboard_filters_by_status_and_kind(
    member: FlaskClient, session: Session, world: World
) -> None:
    make_posting(session, world.member_a1, title="Gitterboxen abzugeben", kind="offer")
    session.commit()
    drafts = body(member, "/my/?status=draft")
    assert "Freie Fräskapazität" in drafts
    assert "Gitterboxen" not in drafts and "Edelstahlblech" not in drafts
    offers = body(member, "/my/?kind=offer")
    assert "Gitterboxen" in offers and "Freie Fräskapazität" in offers
    assert "Edelstahlblech" not in offers
    both = body(member, "/my/?kind=offer&status=active")
    assert "Gitterboxen" in both
    assert "Freie Fräskapazität" not in both and "Edelstahlblech" not in both
    # Unknown filter values are ignored rather than failing.
    everything = body(member, "/my/?status=deleted&kind=tender")
    assert "Gitterboxen" in everything and "Edelstahlblech" in everything
    # Filtered pages keep the other filter in their links.
    assert 'href="/my/?status=active&amp;kind=need"' in body(member, "/my/?status=active")


def test_dashboard_paginates_and_keeps_filters(
    member: FlaskClient, session: Session, world: World
) -> None:
    for n in range(22):
        make_posting(session, world.member_a1, title=f"Sammelposten Nummer {n:02d}")
    session.commit()
    first = body(member, "/my/?status=active")
    assert 'href="/my/?page=2&amp;status=active"' in first
    second = body(member, "/my/?status=active&page=2")
    assert "Page 2 of 2" in second


@pytest.mark.parametrize(
    ("status", "headline", "reason"),
    [
        (CompanyStatus.PENDING, "Your company is waiting for approval", None),
        (CompanyStatus.REJECTED, "Your registration was not approved", "Kein Mitglied im Netz."),
        (CompanyStatus.SUSPENDED, "Your company is suspended", "Beschwerden <b>offen</b>"),
    ],
)
def test_dashboard_explains_the_company_status(
    client: FlaskClient,
    session: Session,
    world: World,
    status: CompanyStatus,
    headline: str,
    reason: str | None,
) -> None:
    manager = Actor.for_user(session, world.manager_a)
    if status == CompanyStatus.REJECTED:
        companies.reject_company(
            session=session, actor=manager, company_id=world.pending_a.id, reason=reason or ""
        )
    elif status == CompanyStatus.SUSPENDED:
        companies.approve_company(session=session, actor=manager, company_id=world.pending_a.id)
        companies.suspend_company(
            session=session, actor=manager, company_id=world.pending_a.id, reason=reason or ""
        )
    session.commit()
    client.get("/language/en")
    login_as(client, world.member_pending)
    page = body(client, "/my/")
    assert headline in page
    assert "Public company page" not in page
    if reason:
        assert "Reason given by the network manager" in page
        assert reason.replace("<", "&lt;").replace(">", "&gt;") in page
        assert "<b>offen</b>" not in page
    else:
        assert "other companies see them as soon as your company is approved" in page


def test_dashboard_is_german_by_default(client: FlaskClient, world: World) -> None:
    login_as(client, world.member_a1)
    page = body(client, "/my/")
    assert 'lang="de"' in page
    assert "Neues Gesuch" in page and "Neues Angebot" in page


# --- creating ----------------------------------------------------------------------------------


def test_new_posting_form_has_defaults_and_help(member: FlaskClient, world: World) -> None:
    page = body(member, "/my/postings/new?kind=offer")
    assert "New offer" in page
    assert 'name="kind" value="offer" checked' in page
    assert input_value(page, "postal_code") == "07745"
    default = today() + timedelta(days=56)
    assert input_value(page, "valid_until") == default.isoformat()
    assert f'max="{(today() + timedelta(days=365)).isoformat()}"' in page
    assert f'min="{today().isoformat()}"' in page
    assert "What makes a good posting" in page
    assert 'name="action" value="draft"' in page and 'name="action" value="publish"' in page
    # Categories from the taxonomy, unit labels translated, language auto/de/en.
    assert '<option value="production_capacity"' in page
    assert '<option value="pallet_space" >pallet spaces</option>' in page
    assert '<option value="">Detect automatically</option>' in page
    assert "New need" in body(member, "/my/postings/new?kind=nonsense")


def test_create_draft_and_publish(member: FlaskClient, session: Session, world: World) -> None:
    response = post_form(member, "/my/postings/new", posting_form())
    assert response.status_code == 302
    posting = session.execute(
        select(Posting).where(Posting.title == "Freie Kapazität Laserschneiden")
    ).scalar_one()
    assert response.headers["Location"] == f"/my/postings/{posting.id}"
    assert posting.status == "draft"
    assert posting.company_id == world.company_a1.id
    assert posting.quantity == 40 and posting.unit == "hour" and posting.radius_km == 150
    assert posting.language == "de"  # detected
    assert posting.created_by_id == world.member_a1.id
    page = text_of(member.get(response.headers["Location"]))
    assert "The draft is saved" in page

    published = post_form(
        member,
        "/my/postings/new",
        posting_form(
            title="Spare pallet spaces in Erfurt",
            description="",
            kind="offer",
            quantity="2,5",
            unit="pallet_space",
            postal_code="",
            valid_until="",
            language="en",
            action="publish",
        ),
    )
    assert published.status_code == 302
    offer = session.execute(
        select(Posting).where(Posting.title == "Spare pallet spaces in Erfurt")
    ).scalar_one()
    assert offer.status == "active" and offer.published_at is not None
    assert offer.quantity == 2.5  # a decimal comma as a German user types it
    assert offer.postal_code == "07745"  # the company's
    assert offer.valid_until == today() + timedelta(days=56)
    assert offer.language == "en"
    assert "The posting is published" in text_of(member.get(published.headers["Location"]))
    assert "Spare pallet spaces in Erfurt" in body(member, "/postings")


TOO_LONG_TITLE = "T" * 121


BAD_POSTINGS: list[tuple[str, dict[str, Any], str]] = [
    ("empty title", {"title": ""}, "title"),
    ("blank title", {"title": "     "}, "title"),
    ("short title", {"title": "Blec"}, "title"),
    ("long title", {"title": TOO_LONG_TITLE}, "title"),
    ("title with line break", {"title": "Blech\r\ngesucht"}, "title"),
    ("title with control character", {"title": "Blech\x07 gesucht"}, "title"),
    ("title with NUL", {"title": "Blech\x00 gesucht"}, "title"),
    ("long description", {"description": "x" * 5001}, "description"),
    ("control character in description", {"description": "Text \x1b[31m rot"}, "description"),
    ("empty kind", {"kind": ""}, "kind"),
    ("unknown kind", {"kind": "tender"}, "kind"),
    ("empty category", {"category": ""}, "category"),
    ("unknown category", {"category": "space_travel"}, "category"),
    ("quantity not a number", {"quantity": "viel"}, "quantity"),
    ("negative quantity", {"quantity": "-5"}, "quantity"),
    ("zero quantity", {"quantity": "0"}, "quantity"),
    ("huge quantity", {"quantity": "1e12"}, "quantity"),
    ("quantity without unit", {"unit": ""}, "unit"),
    ("unit without quantity", {"quantity": ""}, "unit"),
    ("unknown unit", {"unit": "barrel"}, "unit"),
    ("postal code too short", {"postal_code": "0774"}, "postal_code"),
    ("postal code too long", {"postal_code": "077451"}, "postal_code"),
    ("postal code with letters", {"postal_code": "O7745"}, "postal_code"),
    ("radius zero", {"radius_km": "0"}, "radius_km"),
    ("radius too large", {"radius_km": "1001"}, "radius_km"),
    ("radius not whole", {"radius_km": "12.5"}, "radius_km"),
    (
        "window out of order",
        {"available_from": "2027-05-10", "available_until": "2027-05-01"},
        "available_until",
    ),
    ("impossible date", {"available_from": "2027-02-30"}, "available_from"),
    ("not a date", {"available_until": "next week"}, "available_until"),
    ("validity in the past", {"valid_until": "2020-01-01"}, "valid_until"),
    ("validity too long", {"valid_until": "VALIDITY_TOO_LONG"}, "valid_until"),
    ("unknown language", {"language": "fr"}, "language"),
    ("unknown button", {"action": "delete"}, "action"),
]


@pytest.mark.parametrize(
    ("fields", "field"), [(f, n) for _, f, n in BAD_POSTINGS], ids=[c for c, _, _ in BAD_POSTINGS]
)
def test_bad_new_posting_is_refused_and_nothing_changes(
    member: FlaskClient, session: Session, world: World, fields: dict[str, Any], field: str
) -> None:
    if fields.get("valid_until") == "VALIDITY_TOO_LONG":
        fields = {"valid_until": (today() + timedelta(days=366)).isoformat()}
    before = snapshot(session)
    response = post_form(member, "/my/postings/new", posting_form(**fields))
    assert response.status_code == 422
    page = text_of(response)
    assert "Please correct the marked fields." in page
    assert field_error(page, field), f"no message at {field}"
    assert snapshot(session) == before
    # What the user typed is shown again (escaped), so nothing has to be typed twice.
    if "description" not in fields and "title" not in fields:
        assert input_value(page, "title") == "Freie Kapazität Laserschneiden"


def test_missing_fields_are_refused(member: FlaskClient, session: Session) -> None:
    before = snapshot(session)
    response = post_form(member, "/my/postings/new", {"action": "publish"})
    assert response.status_code == 422
    page = text_of(response)
    for field in ("kind", "title", "category"):
        assert field_error(page, field)
    assert snapshot(session) == before


def test_html_is_stored_as_typed_and_escaped_everywhere(
    member: FlaskClient, session: Session, world: World
) -> None:
    title = '<script>alert("x")</script> & <b>Co</b>'
    description = "Zeile 1\n<img src=x onerror=alert(1)>\nZeile 3"
    response = post_form(
        member,
        "/my/postings/new",
        posting_form(title=title, description=description, action="publish"),
    )
    assert response.status_code == 302
    posting = session.execute(select(Posting).where(Posting.title == title)).scalar_one()
    assert posting.description == description
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;"
    pages = [
        f"/my/postings/{posting.id}",
        "/my/",
        f"/my/postings/{posting.id}/edit",
        f"/postings/{posting.id}",
        "/postings",
        "/",
    ]
    for url in pages:
        page = body(member, url)
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
        assert "<b>Co</b>" not in page, url
        assert escaped in page, url
    detail = body(member, f"/postings/{posting.id}")
    assert "Zeile 1<br>\n&lt;img src=x onerror=alert(1)&gt;<br>\nZeile 3" in detail


# --- editing -----------------------------------------------------------------------------------


def test_edit_form_is_prefilled_with_a_version(member: FlaskClient, world: World) -> None:
    posting = world.posting_a1
    page = body(member, f"/my/postings/{posting.id}/edit")
    assert input_value(page, "title") == posting.title
    assert input_value(page, "version") == str(posting.version)
    assert input_value(page, "valid_until") == posting.valid_until.isoformat()
    assert '<option value="material" selected>' in page
    assert "Save and publish" not in page  # already active
    assert "Save and publish" in body(member, f"/my/postings/{world.draft_a1.id}/edit")


def test_edit_saves_changes_and_records_them(
    member: FlaskClient, session: Session, world: World
) -> None:
    posting = world.posting_a1
    version = posting.version
    response = post_form(
        member,
        f"/my/postings/{posting.id}/edit",
        edit_form(posting, title="Edelstahlblech 3 mm gesucht", quantity="500", unit="kg"),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/my/postings/{posting.id}"
    after = stored(session, posting.id)
    assert after.title == "Edelstahlblech 3 mm gesucht"
    assert after.quantity == 500 and after.unit == "kg"
    assert after.version == version + 1
    page = text_of(member.get(response.headers["Location"]))
    assert "Your changes are saved." in page
    assert "Edited" in page and "Changed: Title, Quantity, Unit" in page


def test_save_and_publish_a_draft(member: FlaskClient, session: Session, world: World) -> None:
    draft = world.draft_a1
    response = post_form(
        member, f"/my/postings/{draft.id}/edit", edit_form(draft, action="publish")
    )
    assert response.status_code == 302
    assert stored(session, draft.id).status == "active"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": TOO_LONG_TITLE}, "title"),
        ({"postal_code": "1234"}, "postal_code"),
        ({"available_from": "2027-05-10", "available_until": "2027-05-01"}, "available_until"),
        ({"kind": "tender"}, "kind"),
        ({"unit": "barrel", "quantity": "5"}, "unit"),
        ({"category": "space_travel"}, "category"),
        ({"valid_until": "2020-01-01"}, "valid_until"),
        ({"description": "Steuerzeichen \x0b"}, "description"),
        ({"language": "fr"}, "language"),
    ],
)
def test_bad_edit_is_refused_and_nothing_changes(
    member: FlaskClient, session: Session, world: World, fields: dict[str, Any], field: str
) -> None:
    posting = world.posting_a1
    before = snapshot(session)
    response = post_form(member, f"/my/postings/{posting.id}/edit", edit_form(posting, **fields))
    assert response.status_code == 422
    page = text_of(response)
    assert field_error(page, field)
    assert input_value(page, "version") == str(posting.version)
    assert snapshot(session) == before


def test_edit_with_a_tampered_version_is_a_bad_request(
    member: FlaskClient, session: Session, world: World
) -> None:
    before = snapshot(session)
    posting = world.posting_a1
    url = f"/my/postings/{posting.id}/edit"
    assert post_form(member, url, edit_form(posting, version="")).status_code == 400
    assert post_form(member, url, edit_form(posting, version="abc")).status_code == 400
    assert snapshot(session) == before


def test_concurrent_edit_is_a_conflict_and_keeps_the_input(
    member: FlaskClient, session: Session, world: World
) -> None:
    posting = world.posting_a1
    url = f"/my/postings/{posting.id}/edit"
    loaded = body(member, url)
    version = input_value(loaded, "version")
    # A colleague saves a change in the meantime.
    postings.update_posting(
        session=session,
        actor=Actor.for_user(session, world.member_a1),
        posting_id=posting.id,  # type: ignore[arg-type]
        changes={"title": "Edelstahlblech 4 mm gesucht (Kollege)"},
        expected_version=int(version or 0),
    )
    session.commit()
    mine = edit_form(
        posting,
        version=version,
        title="Edelstahlblech 3 mm <dringend>",
        description="Meine lange Beschreibung, die nicht verloren gehen darf.",
    )
    response = post_form(member, url, mine)
    assert response.status_code == 409
    page = text_of(response)
    assert "Somebody changed this posting in the meantime" in page
    assert "This posting was changed in the meantime" in page
    # The user's input is still in the form ...
    assert input_value(page, "title") == "Edelstahlblech 3 mm &lt;dringend&gt;"
    assert "Meine lange Beschreibung, die nicht verloren gehen darf." in page
    # ... next to the stored version, and nothing of it was saved.
    assert "Edelstahlblech 4 mm gesucht (Kollege)" in page
    current = stored(session, posting.id)
    assert current.title == "Edelstahlblech 4 mm gesucht (Kollege)"
    new_version = input_value(page, "version")
    assert new_version == str(current.version)
    # Saving again on purpose replaces the colleague's change.
    again = post_form(member, url, {**mine, "version": new_version})
    assert again.status_code == 302
    assert stored(session, posting.id).title == "Edelstahlblech 3 mm <dringend>"


def test_closed_postings_cannot_be_edited(
    member: FlaskClient, session: Session, world: World
) -> None:
    posting = world.posting_a1
    assert post_form(member, f"/my/postings/{posting.id}/fulfil").status_code == 302
    closed = stored(session, posting.id)
    before = snapshot(session)
    assert member.get(f"/my/postings/{posting.id}/edit").status_code == 409
    response = post_form(
        member, f"/my/postings/{posting.id}/edit", edit_form(closed, title="Neuer Titel hier")
    )
    assert response.status_code == 409
    assert snapshot(session) == before


def test_unknown_posting_ids_are_not_found(member: FlaskClient, session: Session) -> None:
    before = snapshot(session)
    for url in ("/my/postings/999999", "/my/postings/999999/edit", "/my/postings/999999/withdraw"):
        assert member.get(url).status_code == 404, url
    for url in (
        "/my/postings/999999/publish",
        "/my/postings/999999/renew",
        "/my/postings/999999/withdraw",
    ):
        assert post_form(member, url, {"confirm": "yes"}).status_code == 404, url
    assert member.get("/my/postings/abc").status_code == 404
    assert post_form(member, "/my/postings/1/delete").status_code == 404
    assert snapshot(session) == before


# --- the lifecycle through the pages ----------------------------------------------------------


def _public(client: FlaskClient, posting_id: int | None) -> bool:
    anonymous = client.application.test_client()
    listed = f'href="/postings/{posting_id}"' in text_of(anonymous.get("/postings"))
    detail = anonymous.get(f"/postings/{posting_id}").status_code == 200
    assert listed == detail
    return detail


def test_whole_lifecycle_through_the_pages(
    member: FlaskClient, session: Session, world: World
) -> None:
    created = post_form(member, "/my/postings/new", posting_form(title="Lebenszyklus-Test 1"))
    pid = int(created.headers["Location"].rsplit("/", 1)[1])
    detail = f"/my/postings/{pid}"
    assert stored(session, pid).status == "draft" and not _public(member, pid)

    steps = [
        ("publish", "active", True, "The posting is published."),
        ("pause", "paused", False, "The posting is paused and hidden."),
        ("resume", "active", True, "The posting is visible again."),
    ]
    for action, status, public, message in steps:
        response = post_form(member, f"/my/postings/{pid}/{action}")
        assert response.status_code == 302
        assert response.headers["Location"] == detail
        assert stored(session, pid).status == status
        assert _public(member, pid) is public
        assert message in text_of(member.get(detail))

    new_date = today() + timedelta(days=90)
    renewed = post_form(member, f"/my/postings/{pid}/renew", {"valid_until": new_date.isoformat()})
    assert renewed.status_code == 302
    assert stored(session, pid).valid_until == new_date
    assert "The posting is renewed and valid until" in text_of(member.get(detail))

    fulfilled = post_form(member, f"/my/postings/{pid}/fulfil")
    assert fulfilled.status_code == 302
    assert stored(session, pid).status == "fulfilled"
    assert not _public(member, pid)

    page = body(member, detail)
    for line in (
        "Created as draft",
        "Published",
        "Paused",
        "Resumed",
        "Renewed until",
        "Marked as fulfilled",
        "Status: active → paused",
        world.member_a1.name,
    ):
        assert line in page, line
    # A closed posting offers no more actions and refuses them.
    assert "What you can do" not in page
    before = snapshot(session)
    for action in ("publish", "pause", "resume", "fulfil", "renew"):
        response = post_form(member, f"/my/postings/{pid}/{action}")
        assert response.status_code == 409, action
        assert "fulfilled" in text_of(response)
    assert post_form(member, f"/my/postings/{pid}/withdraw", {"confirm": "yes"}).status_code == 409
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("posting", "action"),
    [("draft", "pause"), ("draft", "resume"), ("draft", "fulfil"), ("active", "resume")],
)
def test_impossible_transitions_answer_409(
    member: FlaskClient, session: Session, world: World, posting: str, action: str
) -> None:
    target = world.draft_a1 if posting == "draft" else world.posting_a1
    before = snapshot(session)
    response = post_form(member, f"/my/postings/{target.id}/{action}")
    assert response.status_code == 409
    assert "This is not possible while the posting is" in text_of(response)
    assert snapshot(session) == before


def test_publishing_a_draft_whose_validity_ended_asks_for_a_new_date(
    member: FlaskClient, session: Session, world: World
) -> None:
    draft = stored(session, world.draft_a1.id)
    draft.valid_until = today() - timedelta(days=1)
    session.add(draft)
    session.commit()
    response = post_form(member, f"/my/postings/{draft.id}/publish")
    assert response.status_code == 409
    assert "choose a later" in text_of(response)
    assert stored(session, draft.id).status == "draft"


def test_status_action_returns_to_the_page_it_came_from(member: FlaskClient, world: World) -> None:
    response = post_form(
        member, f"/my/postings/{world.posting_a1.id}/pause", {"next": "/my/?status=active"}
    )
    assert response.headers["Location"] == "/my/?status=active"
    evil = post_form(
        member, f"/my/postings/{world.posting_a1.id}/resume", {"next": "//evil.example/x"}
    )
    assert evil.headers["Location"] == f"/my/postings/{world.posting_a1.id}"


def test_withdraw_needs_confirmation(member: FlaskClient, session: Session, world: World) -> None:
    posting = world.posting_a1
    url = f"/my/postings/{posting.id}/withdraw"
    page = body(member, url)
    assert "Withdraw posting?" in page and 'name="confirm"' in page
    before = snapshot(session)
    for data in ({}, {"confirm": ""}, {"confirm": "no"}):
        response = post_form(member, url, data)
        assert response.status_code == 422
        assert "Please confirm that the posting is to be withdrawn." in text_of(response)
        assert snapshot(session) == before
    done = post_form(member, url, {"confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"] == "/my/"
    assert stored(session, posting.id).status == "withdrawn"
    assert "The posting is withdrawn." in text_of(member.get("/my/"))
    assert member.get(url).status_code == 409  # nothing left to withdraw


def test_renew_without_a_date_uses_the_standard_period(
    member: FlaskClient, session: Session, world: World
) -> None:
    posting = stored(session, world.posting_a1.id)
    posting.status = PostingStatus.EXPIRED.value
    posting.valid_until = today() - timedelta(days=3)
    session.add(posting)
    session.commit()
    assert not _public(member, posting.id)
    page = body(member, f"/my/postings/{posting.id}")
    assert "Expired on" in page and "Renew until" in page
    response = post_form(member, f"/my/postings/{posting.id}/renew", {"valid_until": ""})
    assert response.status_code == 302
    renewed = stored(session, posting.id)
    assert renewed.status == "active"
    assert renewed.valid_until == today() + timedelta(days=56)
    assert _public(member, posting.id)


@pytest.mark.parametrize("value", ["2020-01-01", "31.12.2026", "morgen", "TOO_LATE", "2027-13-01"])
def test_bad_renewal_dates_are_refused(
    member: FlaskClient, session: Session, world: World, value: str
) -> None:
    if value == "TOO_LATE":
        value = (today() + timedelta(days=366)).isoformat()
    before = snapshot(session)
    response = post_form(
        member, f"/my/postings/{world.posting_a1.id}/renew", {"valid_until": value}
    )
    assert response.status_code == 422
    page = text_of(response)
    assert field_error(page, "valid_until")
    assert "History" in page  # the posting's page, with the message at the date field
    assert snapshot(session) == before


def test_edit_of_an_expired_posting_keeps_its_date(
    member: FlaskClient, session: Session, world: World
) -> None:
    posting = stored(session, world.posting_a1.id)
    posting.status = PostingStatus.EXPIRED.value
    posting.valid_until = today() - timedelta(days=3)
    session.add(posting)
    session.commit()
    posting = stored(session, posting.id)
    response = post_form(
        member,
        f"/my/postings/{posting.id}/edit",
        edit_form(posting, title="Edelstahlblech 2 mm weiterhin gesucht"),
    )
    assert response.status_code == 302
    after = stored(session, posting.id)
    assert after.title == "Edelstahlblech 2 mm weiterhin gesucht"
    assert after.status == "expired"


def test_history_names_managers_and_the_system(
    app: Flask, member: FlaskClient, session: Session, world: World
) -> None:
    with app.app_context():  # moderation queues the company's notice from the app's templates
        postings.change_status(
            session=session,
            actor=Actor.for_user(session, world.manager_a),
            posting_id=world.posting_a1.id,  # type: ignore[arg-type]
            action="pause",
            reason="Bitte Angaben <prüfen>",
        )
    posting = stored(session, world.posting_a1.id)
    posting.valid_until = today() - timedelta(days=1)
    session.add(posting)
    postings.expire_postings(session=session)
    session.commit()
    page = body(member, f"/my/postings/{world.posting_a1.id}")
    assert f"{world.manager_a.name} (network manager)" in page
    assert "Reason: Bitte Angaben &lt;prüfen&gt;" in page
    assert "Matchmaker (automatically)" in page
    assert "Expired" in page


# --- company profile ---------------------------------------------------------------------------


def _company_form(company: Company, **overrides: str) -> dict[str, str]:
    values = {
        name: str(value)
        for name, value in companies.company_values(company).items()
        if name != "networks"
    }
    values.update(overrides)
    return values


def test_company_page_lists_profile_and_members(member: FlaskClient, world: World) -> None:
    page = body(member, "/my/company")
    assert "Alpha Feinmechanik GmbH" in page
    assert world.company_a1.contact_email in page
    assert "Netzwerk Nord" in page
    assert world.member_a1.email in page and "(you)" in page
    assert world.member_a2.email not in page  # another company's account
    assert f'href="/companies/{world.company_a1.id}"' in page


def test_company_profile_can_be_edited(member: FlaskClient, session: Session, world: World) -> None:
    page = body(member, "/my/company/edit")
    assert input_value(page, "name") == "Alpha Feinmechanik GmbH"
    response = post_form(
        member,
        "/my/company/edit",
        _company_form(
            world.company_a1,
            profile="CNC-Fräsen <5-Achs> & Drehen",
            contact_phone="+49 3641 123456",
            website="https://alpha.example",
        ),
    )
    assert response.status_code == 302 and response.headers["Location"] == "/my/company"
    session.expire_all()
    company = session.get(Company, world.company_a1.id)
    assert company is not None
    assert company.profile == "CNC-Fräsen <5-Achs> & Drehen"
    assert company.contact_phone == "+49 3641 123456"
    assert [n.slug for n in company.networks] == ["netz-nord"]
    shown = body(member, "/my/company")
    assert "The company profile is saved." in shown
    assert "CNC-Fräsen &lt;5-Achs&gt; &amp; Drehen" in shown


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "N" * 161}, "name"),
        ({"postal_code": "123"}, "postal_code"),
        ({"city": ""}, "city"),
        ({"website": "alpha.example"}, "website"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"profile": "p" * 2001}, "profile"),
        ({"profile": "Profil \x08"}, "profile"),
        ({"contact_email": "keine-adresse"}, "contact_email"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"address": "Zeile 1\nZeile 2"}, "address"),
    ],
)
def test_bad_company_profile_is_refused(
    member: FlaskClient, session: Session, world: World, fields: dict[str, str], field: str
) -> None:
    before = snapshot(session)
    response = post_form(member, "/my/company/edit", _company_form(world.company_a1, **fields))
    assert response.status_code == 422
    assert field_error(text_of(response), field)
    assert snapshot(session) == before


def test_networks_cannot_be_changed_by_members(
    member: FlaskClient, session: Session, world: World
) -> None:
    before = snapshot(session)
    # The form has no network field; a forged one is an unknown field and changes nothing.
    response = post_form(
        member, "/my/company/edit", {**_company_form(world.company_a1), "networks": "netz-sued"}
    )
    assert response.status_code == 302
    session.expire_all()
    company = session.get(Company, world.company_a1.id)
    assert company is not None and [n.slug for n in company.networks] == ["netz-nord"]
    assert snapshot(session)["companies"] == before["companies"]
