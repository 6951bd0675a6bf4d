"""Manager review of matches: the state machine, the queue, introductions and outcomes.

:mod:`matchmaker.review.states` is the one place a match's review state changes; the other
modules are services built on it. Nothing here imports :mod:`matchmaker.matches` at import time
(matching itself takes the state machine's system steps).
"""

from matchmaker.review.followups import send_due_followups
from matchmaker.review.introductions import awaiting_outcome

__all__ = ["awaiting_outcome", "send_due_followups"]
