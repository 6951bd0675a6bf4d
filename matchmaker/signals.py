"""What happened in the domain, as blinker signals: services send them, the app connects receivers.

The services do not know who listens. The app factory connects the matching service (so the
web workers, the CLI and the scheduler, which all build the app, keep stored matches current);
a process that sends without any receiver connected logs a warning instead of silently storing no
matches.
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import NamedSignal, Namespace

log = logging.getLogger(__name__)
_signals = Namespace()

# sender: the session; keyword ``posting``: a posting whose content or status changed (flushed)
posting_changed = _signals.signal("posting-changed")
# sender: the session; keyword ``company``: a company whose review status changed (flushed)
company_reviewed = _signals.signal("company-reviewed")

_warned: set[str] = set()


def send(signal: NamedSignal, sender: Any, **data: Any) -> None:
    """Send ``signal``; without any receiver say so once, since nothing follows the change."""
    if not signal.receivers and signal.name not in _warned:
        _warned.add(signal.name)
        log.warning(
            "no receiver is connected to %r: call matchmaker.matches.connect_signals() "
            "(the app factory does) or changes store no matches",
            signal.name,
        )
    signal.send(sender, **data)
