"""Admin pages for outgoing mail: the outbox with its states (and a retry for dead messages),
the digest delivery log, and the mails the ``file`` backend wrote (the embedded default)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from flask import Blueprint, abort, flash, render_template, request
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from matchmaker import digests, mail, outbox
from matchmaker.i18n import gettext as _
from matchmaker.models import OutboxMessage, OutboxState, Role, User
from matchmaker.web.common import db, page_arg, redirect_to, role_required, settings

bp = Blueprint("mail_admin", __name__, url_prefix="/admin")
admin_only = role_required(Role.ADMIN)

PAGE = 50
MAIL_FILES = 200


@bp.get("/outbox")
@admin_only
def outbox_list() -> str:
    state = request.args.get("state", "")
    if state and state not in OutboxState.values():
        state = ""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if state:
        query = query.where(OutboxMessage.state == state)
    page = page_arg()
    rows = db().scalars(query.offset((page - 1) * PAGE).limit(PAGE)).all()
    counts = dict(
        db().execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
    )
    return render_template(
        "admin/outbox.html",
        rows=rows,
        state=state,
        states=OutboxState.values(),
        counts=counts,
        page=page,
        more=len(rows) == PAGE,
        problems=mail.configuration_problems(settings()),
        backend=settings().mail_backend,
    )


@bp.post("/outbox/<int:message_id>/retry")
@admin_only
def outbox_retry(message_id: int) -> Response:
    row = outbox.retry_dead(session=db(), message_id=message_id)
    if row is None:
        abort(404)
    db().commit()
    flash(_("The message to %(email)s is queued again.", email=row.recipient), "success")
    return redirect_to("mail_admin.outbox_list", state="dead")


@bp.get("/digests")
@admin_only
def delivery_log() -> str:
    deliveries = digests.deliveries_of(db())
    managers = {
        u.id: u
        for u in db().scalars(select(User).where(User.id.in_({d.user_id for d in deliveries})))
    }
    return render_template("admin/deliveries.html", deliveries=deliveries, managers=managers)


def _mail_folder() -> Path:
    return Path(settings().instance_path) / "mail"


def _read(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


@bp.get("/mail")
@admin_only
def mail_files() -> str:
    folder = _mail_folder()
    paths = sorted(folder.glob("*.eml"), reverse=True)[:MAIL_FILES] if folder.is_dir() else []
    files = [(path.name, _read(path)) for path in paths]
    return render_template("admin/mail_files.html", files=files, backend=settings().mail_backend)


@bp.get("/mail/<name>")
@admin_only
def mail_file(name: str) -> str:
    path = _mail_folder() / name
    if "/" in name or not name.endswith(".eml") or not path.is_file():
        abort(404)
    message = _read(path)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return render_template(
        "admin/mail_file.html",
        name=name,
        message=message,
        text=str(text.get_content()) if text is not None else "",
        html=str(html.get_content()) if html is not None else "",
    )
