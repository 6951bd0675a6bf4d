"""Outgoing e-mail: multipart (text + HTML) messages sent by SMTP, or kept as files locally.

Backends (``MATCHMAKER_MAIL_BACKEND``):
- ``smtp``: deliver through ``MATCHMAKER_SMTP_*`` (production);
- ``file``: write each message as an ``.eml`` file to ``<instance>/mail/`` (the embedded default,
  so a new user can open a password link without a mail server);
- ``console``: log the message.
"""

from __future__ import annotations

import email
import email.policy
import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

from matchmaker.config import Settings
from matchmaker.db import utcnow

log = logging.getLogger(__name__)


# Long header values (a List-Unsubscribe URL with its token) stay as they are instead of being
# turned into RFC 2047 encoded words, which mail clients would not read as a URL; 998 is the
# line limit of RFC 5322.
POLICY = email.policy.default.clone(max_line_length=998)


class MailError(RuntimeError):
    """The message could not be handed to the mail server.

    ``permanent`` is true when the server refused it for good (a 5xx reply): sending it again
    cannot help. Everything else (4xx replies, an unreachable server, timeouts) is temporary.
    """

    def __init__(self, message: str, *, permanent: bool = False, code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None
    to_name: str = ""
    headers: tuple[tuple[str, str], ...] = ()


def build_message(mail: Mail, *, settings: Settings) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    sender_name, sender_address = parseaddr(settings.mail_from)
    message["From"] = formataddr((sender_name, sender_address))
    message["To"] = formataddr((mail.to_name, mail.to)) if mail.to_name else mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utcnow())
    domain = sender_address.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in mail.headers:
        message[name] = value
    # Quoted-printable keeps the message 7-bit: umlauts survive every relay and mail client.
    message.set_content(mail.text, cte="quoted-printable")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    return message


def send(mail: Mail, *, settings: Settings) -> str:
    """Send ``mail`` and return its Message-ID; raises :class:`MailError` on failure."""
    message = build_message(mail, settings=settings)
    deliver(message, settings=settings)
    return str(message["Message-ID"])


def parse_message(raw: str) -> EmailMessage:
    """A stored message (see :func:`build_message`) back as an :class:`EmailMessage`."""
    return email.message_from_string(raw, policy=POLICY)


def recipient_of(message: EmailMessage) -> str:
    return parseaddr(str(message["To"]))[1]


def deliver(message: EmailMessage, *, settings: Settings) -> None:
    """Hand a built message to the configured backend; raises :class:`MailError` on failure."""
    backend = settings.mail_backend
    to = recipient_of(message)
    if backend == "smtp":
        _send_smtp(message, settings=settings)
    elif backend == "file":
        folder = Path(settings.instance_path) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        path = folder / f"{stamp}-{to.replace('@', '_at_')}.eml"
        path.write_bytes(bytes(message))
        log.info("mail to %s written to %s", to, path)
    else:
        log.info("mail to %s: %s\n%s", to, message["Subject"], message.get_body(("plain",)))


def _send_smtp(message: EmailMessage, *, settings: Settings) -> None:
    try:
        if settings.smtp_security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=settings.smtp_timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
            )
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password)
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code = min(reply[0] for reply in exc.recipients.values())
        raise MailError(
            f"SMTP delivery to {message['To']} refused: {exc.recipients}",
            permanent=code >= 500,
            code=code,
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise MailError(
            f"SMTP delivery to {message['To']} failed: {exc.smtp_code} {exc.smtp_error!r}",
            permanent=exc.smtp_code >= 500,
            code=exc.smtp_code,
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP delivery to {message['To']} failed: {exc}") from exc


def configuration_problems(settings: Settings, *, probe: bool = True) -> list[str]:
    """What is wrong with the mail settings, in words an operator can act on.

    Checked at the scheduler's start and on the admin's outbox page. ``probe`` also opens a
    connection to the SMTP server. Problems never drop queued mail: it waits in the outbox.
    """
    problems = []
    _name, address = parseaddr(settings.mail_from)
    local, _, domain = address.partition("@")
    if not local or not domain or " " in address or ("." not in domain and domain != "localhost"):
        problems.append(
            f"MATCHMAKER_MAIL_FROM is not a valid sender address: {settings.mail_from!r} "
            "(expected e.g. 'Matchmaker <matchmaker@example.org>')"
        )
    if settings.mail_backend != "smtp":
        return problems
    if not settings.smtp_host.strip():
        problems.append("MATCHMAKER_SMTP_HOST is empty")
    elif probe:
        try:
            socket.create_connection(
                (settings.smtp_host, settings.smtp_port), timeout=min(settings.smtp_timeout, 5.0)
            ).close()
        except OSError as exc:
            problems.append(
                f"The SMTP server {settings.smtp_host}:{settings.smtp_port} "
                f"(MATCHMAKER_SMTP_HOST/PORT) cannot be reached: {exc}"
            )
    return problems
