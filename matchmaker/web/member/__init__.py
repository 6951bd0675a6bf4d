"""Pages of the member area: the company's needs and offers, their lifecycle, the profile.

:mod:`.base` holds the blueprint and the shared helpers; importing the page modules adds their
routes to it.
"""

from matchmaker.web.member import company_pages, posting_pages
from matchmaker.web.member.base import bp

__all__ = ["bp", "company_pages", "posting_pages"]
