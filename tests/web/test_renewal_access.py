"""The one-click renew link for every persona, outside the service tests' app context (each
request gets its own context, so the route matrix sees who asked)."""

from __future__ import annotations

from flask import Flask
from sqlmodel import Session

from matchmaker.config import Settings
from tests.factories import World
from tests.helpers import drain_outbox
from tests.services.test_reminders import _daily_job, _ending_in, _renew_link
from tests.web.staff_access import PERSONAS, client_for


def test_renew_link_for_every_persona(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    _ending_in(session, world, 5)
    _daily_job(app)
    drain_outbox(app)
    link = _renew_link(settings)
    assert {p: client_for(app, world, p).get(link).status_code for p in PERSONAS} == dict.fromkeys(
        PERSONAS, 200
    )
    posted = {p: client_for(app, world, p).post(link).status_code for p in PERSONAS}
    assert posted == {**dict.fromkeys(PERSONAS, 404), "anonymous": 200}
