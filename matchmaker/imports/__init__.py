"""CSV import of needs and offers (``matchmaker import-postings``; format: docs/import-postings.md).

Networks collect postings in spreadsheets; this reads them as Excel writes them (UTF-8 with or
without BOM, ``,`` or ``;`` as delimiter, German dates and decimal commas) and validates every row
through :class:`PostingCreate` and the posting service, so an imported posting obeys the same rules
as one typed into the form. Errors name the row's line in the file.
"""

from matchmaker.imports.reading import (
    COLUMNS,
    REQUIRED_COLUMNS,
    CsvFile,
    CsvRow,
    ImportFileError,
    read_postings_csv,
)
from matchmaker.imports.rows import ImportResult, RowResult, import_postings, posting_fields

__all__ = [
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "CsvFile",
    "CsvRow",
    "ImportFileError",
    "ImportResult",
    "RowResult",
    "import_postings",
    "posting_fields",
    "read_postings_csv",
]
