"""Pages of the admin area: networks, manager and admin accounts, categories, the audit log.

:mod:`.base` holds the blueprint; importing the page modules adds their routes to it.
"""

from matchmaker.web.admin import account_pages, catalog_pages
from matchmaker.web.admin.base import bp

__all__ = ["account_pages", "bp", "catalog_pages"]
