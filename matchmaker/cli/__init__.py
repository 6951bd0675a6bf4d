"""The ``matchmaker`` command: database, demo data, accounts, imports and maintenance.

Every command reads the same ``MATCHMAKER_*`` settings as the web server, so it acts on the
database that ``make run`` serves. Commands never prompt unless a person sits at a terminal.
"""

from matchmaker.cli import accounts, data, mail, matcher, operations, review
from matchmaker.cli.base import cli, main, register
from matchmaker.eval_command import eval_command

register(eval_command)

__all__ = ["accounts", "cli", "data", "mail", "main", "matcher", "operations", "register", "review"]

if __name__ == "__main__":  # pragma: no cover
    main()
