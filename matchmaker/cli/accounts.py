"""Accounts and API tokens."""

import sys

import click
from flask.cli import with_appcontext
from sqlmodel import Session

from matchmaker import accounts, companies
from matchmaker.access import Actor
from matchmaker.cli.base import cli, fail, require_schema, settings, unit_of_work
from matchmaker.errors import DomainError
from matchmaker.models import Company, Role, TokenPurpose, User
from matchmaker.schemas import PasswordInput, UserInput
from matchmaker.validation import parse


@cli.group("users")
def users() -> None:
    """Manage accounts."""


def _company(session: Session, ref: str) -> Company:
    try:
        return companies.company_by_ref(session, ref)
    except DomainError as exc:
        raise fail(exc) from exc


@users.command("create")
@click.option("--email", required=True, help="E-mail address (the login).")
@click.option("--name", default="", help="Full name (defaults to the e-mail's local part).")
@click.option(
    "--role", type=click.Choice(Role.values()), required=True, help="member, manager or admin."
)
@click.option("--company", "company_ref", default=None, help="Company id or exact name (members).")
@click.option(
    "--network", "networks", multiple=True, help="Network slug (managers; may be repeated)."
)
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option(
    "--no-password",
    is_flag=True,
    help="Do not ask for a password; print a link to set one (the default without a terminal).",
)
@with_appcontext
def users_create(
    email: str,
    name: str,
    role: str,
    company_ref: str | None,
    networks: tuple[str, ...],
    language: str,
    no_password: bool,
) -> None:
    """Create an account; without a terminal, prints a link to set the password."""
    require_schema()
    if role == Role.MEMBER.value and not company_ref:
        raise click.UsageError("A member needs --company.")
    if role == Role.MANAGER.value and not networks:
        raise click.UsageError("A manager needs at least one --network.")
    if role != Role.MEMBER.value and company_ref:
        raise click.UsageError("Only members belong to a company.")
    if role != Role.MANAGER.value and networks:
        raise click.UsageError("Only managers are assigned to networks.")
    interactive = sys.stdin.isatty() and not no_password
    password = None
    if interactive:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with unit_of_work() as session:
        company_id = _company(session, company_ref).id if company_ref else None
        try:
            data = parse(
                UserInput,
                {
                    "email": email,
                    "name": name or email.split("@")[0],
                    "role": role,
                    "language": language,
                    "company_id": company_id,
                    "network_slugs": list(networks),
                },
            )
            user = accounts.create_user(session=session, actor=Actor.system(), data=data)
            link = None
            if password is not None:
                pw = parse(PasswordInput, {"password": password, "password_repeat": password})
                accounts.set_password(session=session, user=user, data=pw)
            else:
                token = accounts.issue_password_token(
                    session=session,
                    user=user,
                    purpose=TokenPurpose.SET,
                    hours=settings().password_token_hours,
                )
                link = password_link(token)
        except DomainError as exc:
            raise fail(exc) from exc
    click.echo(f"Created {role} {user.email} (id {user.id}).")
    if link:
        click.echo(f"Set the password within {settings().password_token_hours} hours at:")
        click.echo(link)


def password_link(token: str) -> str:
    return f"{settings().base_url}/password/{token}"


@cli.group("tokens")
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.option("--email", required=True, help="The account the token acts as.")
@click.option("--name", default="", help="A note saying what the token is for.")
@with_appcontext
def tokens_create(email: str, name: str) -> None:
    """Create a bearer token for the API. It is printed once, on the last line."""
    require_schema()
    with unit_of_work() as session:
        user: User | None = accounts.user_by_email(session, email)
        if user is None:
            raise click.ClickException(f"No account with e-mail {email!r}.")
        if not user.active:
            raise click.ClickException(f"The account {email!r} is deactivated.")
        token = accounts.create_api_token(session=session, user=user, name=name)
    click.echo(f"API token for {user.email} ({user.role}). It is shown only once; store it now:")
    click.echo(token)
