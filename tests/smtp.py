"""A real SMTP server on loopback (aiosmtpd) and apps that send through it, for every test."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from matchmaker.app import create_app
from matchmaker.config import Settings
from tests.helpers import drain_after_requests

ACCEPT = "250 Message accepted for delivery"


class CollectingHandler:
    """An aiosmtpd handler that keeps every accepted message; ``reply`` can simulate refusals,
    ``recipient_replies`` refuse single addresses at RCPT TO, and ``on_data`` runs when a
    message has been received, before the server answers (e.g. to kill the sender there)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.reply = ACCEPT
        self.recipient_replies: dict[str, str] = {}
        self.on_data: Callable[[EmailMessage], None] | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        refusal = self.recipient_replies.get(address.lower())
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply.startswith("250"):
            raw = envelope.original_content or envelope.content
            message = email.message_from_bytes(raw, policy=email.policy.default)
            self.messages.append(message)  # type: ignore[arg-type]
            if self.on_data is not None:
                self.on_data(message)  # type: ignore[arg-type]
        return self.reply


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: CollectingHandler
    controller: Controller
    running: bool = field(default=True)

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def refuse_with(self, reply: str) -> None:
        """Answer every message with ``reply`` (e.g. "451 Try again later")."""
        self.handler.reply = reply

    def stop(self) -> None:
        """Simulate an outage: nothing listens on the port any more."""
        if self.running:
            self.controller.stop()
            self.running = False

    def restart(self) -> None:
        """The server is back on the same port, with the messages it had received."""
        if not self.running:
            self.controller = Controller(self.handler, hostname=self.host, port=self.port)
            self.controller.start()
            self.running = True

    def received_by(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"].addresses[0].addr_spec == address]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 that collects what it receives."""
    handler = CollectingHandler()
    last_error: Exception | None = None
    for _attempt in range(5):  # another process may grab the free port in between
        port = _free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        try:
            controller.start()
        except (OSError, RuntimeError) as error:
            last_error = error
            continue
        server = SmtpServer("127.0.0.1", port, handler, controller)
        yield server
        server.stop()
        return
    raise RuntimeError(f"could not start the SMTP server: {last_error}")


@pytest.fixture
def smtp_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "mail_backend": "smtp",
            "smtp_host": smtp_server.host,
            "smtp_port": smtp_server.port,
            "smtp_timeout": 5.0,
            "mail_from": "Matchmaker <matchmaker@matchmaker.example>",
        }
    )


@pytest.fixture
def smtp_app(smtp_settings: Settings, engine: Engine) -> Flask:
    return drain_after_requests(create_app(smtp_settings, engine=engine))


@pytest.fixture
def smtp_client(smtp_app: Flask) -> FlaskClient:
    return smtp_app.test_client()
