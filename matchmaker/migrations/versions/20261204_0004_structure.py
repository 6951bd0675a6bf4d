"""search text folded with the matching library's umlaut rules

Revision ID: 0004_structure
Revises: 0005_outbox
Create Date: 2026-12-04 19:30:00

``posting.search_text`` is a folded copy of title and description. Search now folds with the
same rules as matching (ä and ae both become a), so the stored copies are folded again; the
downgrade restores the earlier rules (ä becomes ae).
"""

import re
import unicodedata
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_structure"
down_revision: str | None = "0005_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPACE = re.compile(r"\s+")
_EARLIER = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

posting = sa.table(
    "posting",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("description", sa.Text),
    sa.column("search_text", sa.Text),
)


def _earlier_fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().translate(_EARLIER)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return _SPACE.sub(" ", text).strip()


def _refold(fold: Callable[[str], str]) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(posting.c.id, posting.c.title, posting.c.description))
    for row_id, title, description in rows.all():
        connection.execute(
            posting.update()
            .where(posting.c.id == row_id)
            .values(search_text=fold(f"{title} {description or ''}"))
        )


def upgrade() -> None:
    from matchmaker.search import fold

    _refold(fold)


def downgrade() -> None:
    _refold(_earlier_fold)
