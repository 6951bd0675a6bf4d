"""Accounts: users, logins, password links and API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from matchmaker import audit
from matchmaker.access import Actor
from matchmaker.db import utcnow
from matchmaker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    ApiToken,
    Company,
    Network,
    NetworkManager,
    PasswordToken,
    Role,
    TokenPurpose,
    User,
)
from matchmaker.schemas import PasswordInput, UserInput
from matchmaker.search import clean_query, has_control_characters
from matchmaker.security import hash_password, needs_rehash, new_token, token_hash, verify_password
from matchmaker.validation import NETWORK_SLUG_RE

API_TOKEN_PREFIX = "mm_"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(session: Session, email: str) -> User | None:
    if has_control_characters(email) or len(email) > 254:
        return None  # no stored address has them, and PostgreSQL refuses NUL in parameters
    return session.execute(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).scalar_one_or_none()


def ensure_email_free(session: Session, email: str, *, field: str = "email") -> None:
    if user_by_email(session, email) is not None:
        raise InvalidInput.single(
            field, "email_taken", _l("An account with this e-mail address exists already.")
        )


def create_user(*, session: Session, actor: Actor, data: UserInput) -> User:
    """Create an account. Admins create any role; the CLI acts as the system actor."""
    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators can create accounts."))
    ensure_email_free(session, data.email)
    user = User(
        email=normalise_email(data.email),
        name=data.name,
        role=data.role.value,
        language=data.language.value,
    )
    if data.role == Role.MEMBER:
        if data.company_id is None or session.get(Company, data.company_id) is None:
            raise InvalidInput.single(
                "company", "unknown_company", _l("Members belong to an existing company.")
            )
        user.company_id = data.company_id
    networks: list[Network] = []
    if data.role == Role.MANAGER:
        if not data.network_slugs:
            raise InvalidInput.single(
                "networks", "too_short", _l("A manager needs at least one network.")
            )
        networks = networks_by_slugs(session, data.network_slugs)
    session.add(user)
    session.flush()
    for network in networks:
        session.add(NetworkManager(network_id=network.id, user_id=user.id))
    audit.record(
        session,
        actor_id=actor.user_id,
        action="user.create",
        entity="user",
        entity_id=user.id,
        changes={"email": user.email, "role": user.role, "networks": sorted(data.network_slugs)},
    )
    session.flush()
    return user


def networks_by_slugs(
    session: Session, slugs: list[str], *, field: str = "networks"
) -> list[Network]:
    wanted = sorted(set(slugs))
    # Only well-formed slugs go to the database: PostgreSQL refuses NUL bytes in parameters.
    queryable = [slug for slug in wanted if NETWORK_SLUG_RE.match(slug)]
    found = list(session.execute(select(Network).where(Network.slug.in_(queryable))).scalars())
    missing = sorted(set(wanted) - {n.slug for n in found})
    if missing:
        raise InvalidInput.single(
            field,
            "unknown_network",
            _l("Unknown network: %(names)s", names=", ".join(clean_query(m) for m in missing)),
        )
    return found


def set_managed_networks(
    *, session: Session, actor: Actor, user: User, slugs: list[str]
) -> list[Network]:
    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators can assign managers."))
    if user.role != Role.MANAGER.value:
        raise Conflict(_l("Only managers can be assigned to networks."))
    networks = networks_by_slugs(session, slugs) if slugs else []
    session.execute(NetworkManager.__table__.delete().where(NetworkManager.user_id == user.id))
    for network in networks:
        session.add(NetworkManager(network_id=network.id, user_id=user.id))
    audit.record(
        session,
        actor_id=actor.user_id,
        action="user.networks",
        entity="user",
        entity_id=user.id,
        changes={"networks": sorted(n.slug for n in networks)},
    )
    session.flush()
    return networks


class LoginResult(Enum):
    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True)
class Login:
    result: LoginResult
    user: User | None = None


def authenticate(*, session: Session, email: str, password: str) -> Login:
    """Check a password. Every failure gets the same answer after the same work.

    An unknown address is verified against a dummy hash, a deactivated account only after its
    password was checked, so neither the answer nor its time tells whether an account exists.
    Guessing is slowed by the throttles of the entry point (``matchmaker.throttle``), never by
    locking the owner out. The failure counter is incremented in SQL, so parallel attempts count.
    """
    user = user_by_email(session, email)
    if user is None:
        verify_password(None, password)  # same work as for a known account
        return Login(LoginResult.FAILED)
    if not verify_password(user.password_hash, password) or not user.active:
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .execution_options(synchronize_session=False)
        )
        session.expire(user, ["failed_logins"])
        return Login(LoginResult.FAILED)
    user.failed_logins = 0
    user.last_login_at = utcnow()
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return Login(LoginResult.OK, user)


def issue_password_token(
    *, session: Session, user: User, purpose: TokenPurpose, hours: int = 48
) -> str:
    """A one-time link token; earlier unused tokens of the user stop working."""
    now = utcnow()
    session.execute(
        update(PasswordToken)
        .where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = new_token()
    session.add(
        PasswordToken(
            user_id=user.id,
            token_hash=token_hash(token),
            purpose=purpose.value,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def request_password_reset(
    *, session: Session, email: str, hours: int, interval_minutes: int
) -> tuple[User, str] | None:
    """A reset link for an active account, or None.

    None when the address has no active account, and also when a reset link for it was issued
    less than ``interval_minutes`` ago, so that the form cannot be used to flood a mailbox.
    """
    user = user_by_email(session, email) if email else None
    if user is None or not user.active:
        return None
    last = session.execute(
        select(func.max(PasswordToken.created_at)).where(
            PasswordToken.user_id == user.id, PasswordToken.purpose == TokenPurpose.RESET.value
        )
    ).scalar_one_or_none()
    if last is not None and utcnow() - last < timedelta(minutes=interval_minutes):
        return None
    token = issue_password_token(
        session=session, user=user, purpose=TokenPurpose.RESET, hours=hours
    )
    return user, token


def revoke_password_token(*, session: Session, token: str) -> None:
    """Delete a link that never reached its user, so that asking again is not throttled."""
    session.execute(delete(PasswordToken).where(PasswordToken.token_hash == token_hash(token)))
    session.flush()


def user_for_password_token(*, session: Session, token: str) -> User | None:
    row = session.execute(
        select(PasswordToken).where(PasswordToken.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return session.get(User, row.user_id)


def set_password_with_token(*, session: Session, token: str, data: PasswordInput) -> User:
    """Use a reset or set-password link; other sessions of the user are logged out."""
    row = session.execute(
        select(PasswordToken).where(PasswordToken.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise NotFound(_l("This link is invalid or has expired. Please request a new one."))
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise NotFound(_l("This link is invalid or has expired. Please request a new one."))
    row.used_at = utcnow()
    session.add(row)
    set_password(session=session, user=user, data=data)
    return user


def set_password(*, session: Session, user: User, data: PasswordInput) -> None:
    """Store a new password; every other session of the user is logged out."""
    set_password_hash(session=session, user=user, password_hash=hash_password(data.password))


def set_password_hash(*, session: Session, user: User, password_hash: str) -> None:
    """Store a password hashed beforehand: the demo loader hashes its one password only once."""
    user.password_hash = password_hash
    user.session_version += 1
    user.failed_logins = 0
    session.add(user)
    audit.record(
        session, actor_id=user.id, action="user.password", entity="user", entity_id=user.id
    )
    session.flush()


def change_password(
    *, session: Session, user: User, current_password: str, data: PasswordInput
) -> None:
    """A logged-in user replaces the password; the current one proves it is really them.

    Every other session of the user is logged out (the session version changes).
    """
    if not verify_password(user.password_hash, current_password):
        raise InvalidInput.single(
            "current_password", "wrong_password", _l("The current password is not correct.")
        )
    set_password(session=session, user=user, data=data)


def create_api_token(*, session: Session, user: User, name: str = "") -> str:
    """A bearer token for the API, returned once; only its hash is stored."""
    token = new_token(API_TOKEN_PREFIX)
    session.add(
        ApiToken(
            user_id=user.id,
            name=name[:80],
            prefix=token[: len(API_TOKEN_PREFIX) + 6],
            token_hash=token_hash(token),
        )
    )
    audit.record(
        session,
        actor_id=user.id,
        action="api_token.create",
        entity="user",
        entity_id=user.id,
        changes={"name": name[:80]},
    )
    session.flush()
    return token


TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def user_for_api_token(*, session: Session, token: str) -> User | None:
    """The active account of ``token``, or None.

    The token's last use is written at most once a minute, so that reading through the API
    does not write (on SQLite every write waits for the one before it).
    """
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION:
        row.last_used_at = now
        session.add(row)
    return user


def set_language(*, session: Session, user: User, language: str) -> None:
    if language in ("de", "en") and user.language != language:
        user.language = language
        session.add(user)
        session.flush()


def set_active(*, session: Session, actor: Actor, user: User, active: bool) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators can do this."))
    if actor.user_id == user.id and not active:
        raise Conflict(_l("You cannot deactivate your own account."))
    user.active = active
    user.session_version += 1
    session.add(user)
    audit.record(
        session,
        actor_id=actor.user_id,
        action="user.activate" if active else "user.deactivate",
        entity="user",
        entity_id=user.id,
    )
    session.flush()


STAFF_ROLES = (Role.MANAGER.value, Role.ADMIN.value)


def list_staff(*, session: Session, actor: Actor, role: str | None = None) -> list[User]:
    """Manager and admin accounts with their networks, for the admins' overview."""
    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators can do this."))
    roles = [role] if role in STAFF_ROLES else list(STAFF_ROLES)
    return list(
        session.execute(
            select(User)
            .where(User.role.in_(roles))
            .options(selectinload(User.managed_networks))
            .order_by(User.active.desc(), func.lower(User.name), User.id)
        ).scalars()
    )


def get_account(*, session: Session, actor: Actor, user_id: int) -> User:
    """Any account, with its networks, for the admins' account page."""
    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators can do this."))
    user = session.execute(
        select(User).where(User.id == user_id).options(selectinload(User.managed_networks))
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(_l("This account does not exist."))
    return user


def issue_invitation(*, session: Session, actor: Actor, user: User, hours: int = 48) -> str:
    """A set-password link for an account an admin created; earlier links stop working."""
    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators can do this."))
    if not user.active:
        raise Conflict(_l("This account is deactivated. Please reactivate it first."))
    token = issue_password_token(session=session, user=user, purpose=TokenPurpose.SET, hours=hours)
    audit.record(
        session, actor_id=actor.user_id, action="user.invite", entity="user", entity_id=user.id
    )
    session.flush()
    return token
