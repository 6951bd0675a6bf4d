"""Logging in and out, registering a company, setting and resetting passwords."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import RequestLimit
from flask_login import login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from matchmaker import catalog, throttle
from matchmaker.accounts import (
    LoginResult,
    authenticate,
    change_password,
    request_password_reset,
    set_password_with_token,
    user_for_password_token,
)
from matchmaker.accounts import set_language as store_language
from matchmaker.companies import PROFILE_FIELDS, register_company
from matchmaker.errors import InvalidInput
from matchmaker.i18n import LANGUAGES, SESSION_KEY, current_language, lazy_gettext
from matchmaker.i18n import gettext as _
from matchmaker.models import Company, Role, User
from matchmaker.schemas import PasswordInput, RegistrationInput
from matchmaker.validation import parse
from matchmaker.web.common import (
    Form,
    LoginUser,
    current_db_user,
    db,
    form_data,
    role_required,
    safe_next,
    settings,
)
from matchmaker.web.mails import absolute_url, queue_user_mail

bp = Blueprint("auth", __name__)

HOME_ENDPOINTS = {
    Role.MEMBER.value: "member.dashboard",
    Role.MANAGER.value: "manager.dashboard",
    Role.ADMIN.value: "admin.dashboard",
}


def home_url(user: User) -> str:
    return url_for(HOME_ENDPOINTS.get(user.role, "public.index"))


def start_session(user: User) -> None:
    """Log ``user`` in on this browser, in the language of the account."""
    session.clear()
    login_user(LoginUser(user))
    session[SESSION_KEY] = user.language


def _login_form(message: str = "") -> Form:
    values = {"email": request.form.get("email", ""), "next": request.values.get("next", "")}
    return Form(values=values, message=message)


def _login_throttled(_limit: RequestLimit) -> str:
    message = _(
        "Too many failed attempts. Please wait a few minutes, or reset your password by e-mail."
    )
    return render_template("auth/login.html", form=_login_form(message))


@bp.route("/login", methods=["GET", "POST"])
@throttle.attempts(on_breach=_login_throttled, failed=lambda response: response.status_code != 302)
def login() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return render_template("auth/login.html", form=_login_form())
    values = form_data("email", "password")
    outcome = authenticate(session=db(), email=values["email"], password=values["password"])
    db().commit()  # failed attempts count even though the login fails
    if outcome.result is LoginResult.OK and outcome.user is not None:
        start_session(outcome.user)
        flash(_("Welcome, %(name)s.", name=outcome.user.name), "success")
        return redirect(safe_next(home_url(outcome.user)))
    # One answer for every failure: nobody learns whether an address has an account.
    form = _login_form(_("E-mail address or password is wrong."))
    return render_template("auth/login.html", form=form), 401


@bp.post("/logout")
def logout() -> Response:
    language = session.get(SESSION_KEY)
    logout_user()
    session.clear()
    if language:
        session[SESSION_KEY] = language
    flash(_("You are logged out."), "info")
    return redirect(url_for("public.index"))


# The company's profile fields as the form names them: the company's name is "company_name",
# because "name" is the person's.
COMPANY_FORM_FIELDS = {"company_name" if name == "name" else name: name for name in PROFILE_FIELDS}
REGISTRATION_FIELDS = (
    *COMPANY_FORM_FIELDS,
    "name",
    "email",
    "password",
    "password_repeat",
    "language",
)


def _registration_payload(values: dict[str, str], networks: list[str]) -> dict[str, object]:
    return {
        "company": {
            **{name: values[form_name] for form_name, name in COMPANY_FORM_FIELDS.items()},
            "networks": networks,
        },
        "account": {
            "name": values["name"],
            "email": values["email"],
            "language": values["language"] or current_language(),
        },
        "password": {
            "password": values["password"],
            "password_repeat": values["password_repeat"],
        },
    }


# Form field names for the nested schema's error paths.
_REGISTRATION_ERROR_FIELDS = {
    "company.name": "company_name",
    "account.name": "name",
    "account.email": "email",
    "account.language": "language",
    "password.password": "password",
    "password.password_repeat": "password_repeat",
}


def _registration_form(values: dict[str, str], networks: list[str], error: InvalidInput) -> Form:
    shown: dict[str, Any] = {k: v for k, v in values.items() if not k.startswith("password")}
    shown["networks"] = networks
    form = Form(values=shown, message=str(error.message))
    for name, messages in error.by_field().items():
        key = _REGISTRATION_ERROR_FIELDS.get(name, name.split(".", 1)[-1])
        form.errors.setdefault(key, []).extend(messages)
    return form


EMAIL_TAKEN = lazy_gettext("An account with this e-mail address exists already.")


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response | tuple[str, int]:
    user = current_db_user()
    if user is not None:
        # One account per person and company: a logged-in user does not register again.
        flash(
            _("You are logged in already. To register another company, please log out first."),
            "info",
        )
        return redirect(home_url(user))
    networks = catalog.list_networks(session=db())
    if request.method == "GET":
        preselected = [request.args["network"]] if request.args.get("network") else []
        return render_template(
            "auth/register.html", form=Form(values={"networks": preselected}), networks=networks
        )
    values = form_data(*REGISTRATION_FIELDS)
    chosen = request.form.getlist("networks")
    try:
        data = parse(RegistrationInput, _registration_payload(values, chosen))
        try:
            company, user = register_company(session=db(), data=data)
            _notify_managers_of_registration(company)
            db().commit()
        except IntegrityError as exc:
            # The address was free when checked, but a registration running at the same time
            # took it before this one was stored: the unique index refused it.
            db().rollback()
            raise InvalidInput.single(
                "account.email",
                "email_taken",
                EMAIL_TAKEN,
            ) from exc
    except InvalidInput as error:
        db().rollback()
        form = _registration_form(values, chosen, error)
        return render_template("auth/register.html", form=form, networks=networks), 422
    start_session(user)
    flash(
        _(
            "Thank you! %(company)s is registered. A network manager will review it; you can "
            "already prepare your needs and offers.",
            company=company.name,
        ),
        "success",
    )
    return redirect(home_url(user))


def _notify_managers_of_registration(company: Company) -> None:
    """Tell the managers of the company's networks that a registration waits for them."""
    recipients = {
        manager.email: manager
        for network in company.networks
        for manager in network.managers
        if manager.active
    }
    for manager in recipients.values():
        queue_user_mail(
            to=manager,
            kind="registration_pending",
            template="emails/registration_pending",
            subject=lazy_gettext("New registration: %(company)s", company=company.name),
            company=company,
            review_url=absolute_url("manager.dashboard"),
        )


def _reset_throttled(_limit: RequestLimit) -> str:
    message = _("Too many requests for a new password. Please wait a few minutes.")
    form = Form(values={"email": request.form.get("email", "")}, message=message)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@throttle.attempts(on_breach=_reset_throttled)
def forgot_password() -> str | Response:
    if request.method == "GET":
        return render_template("auth/forgot_password.html", form=Form())
    config = settings()
    issued = request_password_reset(
        session=db(),
        email=request.form.get("email", "").strip(),
        hours=config.password_token_hours,
        interval_minutes=config.reset_mail_interval_minutes,
    )
    if issued is not None:
        user, token = issued
        queue_user_mail(
            to=user,
            kind="password_reset",
            template="emails/password_reset",
            subject=lazy_gettext("Reset your Matchmaker password"),
            link=absolute_url("auth.set_password", token=token),
            hours=config.password_token_hours,
        )
        db().commit()
    # The same answer whether or not the address is known: nobody learns who has an account.
    flash(
        _(
            "If an account exists for this address, we have sent an e-mail with a link to set a "
            "new password."
        ),
        "info",
    )
    return redirect(url_for("auth.login"))


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> str | Response | tuple[str, int]:
    user = user_for_password_token(session=db(), token=token)
    if user is None:
        return render_template("auth/link_invalid.html"), 404
    if request.method == "GET":
        return render_template("auth/set_password.html", form=Form(), user=user, token=token)
    values = form_data("password", "password_repeat")
    try:
        data = parse(PasswordInput, values)
        user = set_password_with_token(session=db(), token=token, data=data)
        db().commit()
    except InvalidInput as error:
        db().rollback()
        form = Form.failed({}, error)
        return render_template("auth/set_password.html", form=form, user=user, token=token), 422
    start_session(user)
    flash(_("Your password is set. You are logged in."), "success")
    return redirect(home_url(user))


def _account_page(*, language_form: Form | None = None, password_form: Form | None = None) -> str:
    user = current_db_user()
    return render_template(
        "auth/account.html",
        user=user,
        language_form=language_form or Form(values={"language": user.language if user else ""}),
        password_form=password_form or Form(),
    )


@bp.get("/account")
@role_required(Role.MEMBER, Role.MANAGER, Role.ADMIN)
def account() -> str:
    return _account_page()


@bp.post("/account/language")
@role_required(Role.MEMBER, Role.MANAGER, Role.ADMIN)
def account_language() -> str | Response | tuple[str, int]:
    user = current_db_user()
    assert user is not None  # role_required
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        error = InvalidInput.single(
            "language", "enum", lazy_gettext("Please choose one of the offered values.")
        )
        return _account_page(language_form=Form.failed({"language": language}, error)), 422
    store_language(session=db(), user=user, language=language)
    db().commit()
    session[SESSION_KEY] = language
    flash(_("Your language is saved."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@role_required(Role.MEMBER, Role.MANAGER, Role.ADMIN)
def account_password() -> str | Response | tuple[str, int]:
    user = current_db_user()
    assert user is not None  # role_required
    values = form_data("current_password", "password", "password_repeat")
    try:
        data = parse(PasswordInput, {k: values[k] for k in ("password", "password_repeat")})
        change_password(
            session=db(), user=user, current_password=values["current_password"], data=data
        )
        db().commit()
    except InvalidInput as error:
        db().rollback()
        return _account_page(password_form=Form.failed({}, error)), 422
    # The session version changed: every other browser is logged out, this one stays in.
    login_user(LoginUser(user))
    flash(
        _("Your password is changed. Other browsers where you were logged in are logged out."),
        "success",
    )
    return redirect(url_for("auth.account"))
