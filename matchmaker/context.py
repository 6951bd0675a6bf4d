"""What every entry point of a request shares: settings, the engine, the request's database
session, the acting user, and the Flask extensions (CSRF, login manager).

The HTML pages (:mod:`matchmaker.web`) and the JSON API (:mod:`matchmaker.api`) both import this
module and never each other; the app factory initialises the extensions.
"""

from __future__ import annotations

from flask import current_app, g
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker.access import Actor
from matchmaker.config import Settings
from matchmaker.models import User

csrf = CSRFProtect()
login_manager = LoginManager()


def settings() -> Settings:
    return current_app.config["MATCHMAKER"]


def engine() -> Engine:
    return current_app.extensions["matchmaker.engine"]


def db() -> Session:
    """The request's session; the handler commits once, the teardown rolls back the rest."""
    session = g.get("db_session")
    if session is None:
        session = Session(engine(), expire_on_commit=False)
        g.db_session = session
    return session


class LoginUser(UserMixin):
    """The Flask-Login view of an account; the id carries a version so a password change or a
    deactivation logs out every other session."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        return bool(self.user.active)


def load_user_from_session(login_id: str) -> LoginUser | None:
    user_id, _, version = login_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db().get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    g.user = user
    return LoginUser(user)


def current_db_user() -> User | None:
    if current_user.is_authenticated:
        return current_user.user
    return None


def actor() -> Actor:
    """The acting user of this request, computed once."""
    cached = g.get("actor")
    if cached is None:
        user = current_db_user()
        cached = Actor.for_user(db(), user) if user is not None else Actor.anonymous()
        g.actor = cached
    return cached
