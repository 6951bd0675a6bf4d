"""Pages of the manager area: registrations to review, the companies and postings of the
manager's networks, and moderation. Admins see every network.

:mod:`.base` holds the blueprint; importing the page modules adds their routes to it.
"""

from matchmaker.web.manager import company_pages, posting_pages
from matchmaker.web.manager.base import bp

__all__ = ["bp", "company_pages", "posting_pages"]
