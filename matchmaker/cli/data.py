"""Demo data and CSV imports of postings."""

from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from matchmaker import demo, imports
from matchmaker.access import Actor
from matchmaker.cli.base import cli, fail, posting_limits, require_schema, settings, unit_of_work
from matchmaker.errors import DomainError


def _counts(counter: Any, order: list[str]) -> str:
    return ", ".join(f"{counter[key]} {key}" for key in order if counter[key])


@cli.command("seed-demo")
@click.option(
    "--path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with networks.json, companies.json and postings.jsonl (default: data/demo).",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (exit 0) when the database holds data already, instead of refusing.",
)
@with_appcontext
def seed_demo(path: Path | None, if_empty: bool) -> None:
    """Load the demo networks, companies, accounts and postings into an empty database."""
    config = settings()
    if config.is_production:
        raise click.ClickException(
            "The demo data is never loaded in production (MATCHMAKER_ENV=production): "
            "its accounts share a published password."
        )
    require_schema()
    folder = path or demo.default_path()
    with unit_of_work() as session:
        if not demo.is_empty(session):
            if if_empty:
                click.echo("The database holds data already; the demo data was not loaded.")
                return
            raise click.ClickException(
                "The database holds data already (networks, companies or accounts). The demo "
                "data is loaded into an empty database only; use `--if-empty` to skip quietly."
            )
        try:
            summary = demo.load_demo(
                session=session, path=folder, environment=config.env, limits=posting_limits()
            )
        except DomainError as exc:
            raise fail(exc) from exc
    companies_total = sum(summary.companies.values())
    postings_total = sum(summary.postings.values())
    click.echo(f"Loaded the demo data from {folder}:")
    click.echo(f"  networks:  {summary.networks} ({summary.managers} managers)")
    click.echo(
        f"  companies: {companies_total} ({_counts(summary.companies, ['approved', 'pending'])}), "
        f"{summary.members} members"
    )
    click.echo(
        f"  postings:  {postings_total} "
        f"({_counts(summary.postings, ['active', 'draft', 'paused', 'fulfilled', 'withdrawn'])})"
    )
    click.echo(f"  admin:     {summary.admin_email}")
    click.echo(f"Every demo account has the password {summary.password!r}.")


def _error_lines(result: imports.RowResult) -> list[str]:
    return [
        f"Line {result.line}: {error.field}: {error.message}"
        if error.field != "row"
        else f"Line {result.line}: {error.message}"
        for error in result.errors
    ]


@cli.command("import-postings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid rows even when others are invalid (those are reported and skipped).",
)
@click.option("--dry-run", is_flag=True, help="Only check the file; import nothing.")
@click.option("--publish", is_flag=True, help="Make every imported posting active.")
@with_appcontext
def import_postings_command(file: Path, skip_invalid: bool, dry_run: bool, publish: bool) -> None:
    """Import needs and offers from a CSV file (format: docs/import-postings.md).

    Every row is checked; if any is invalid, nothing is imported unless --skip-invalid is given.
    """
    require_schema()
    try:
        parsed = imports.read_postings_csv(file.read_bytes())
    except DomainError as exc:
        raise fail(exc) from exc
    with unit_of_work() as session:
        result = imports.import_postings(
            session=session,
            actor=Actor.system(),
            rows=parsed.rows,
            publish=publish,
            source=file.name,
            limits=posting_limits(),
        )
        invalid = result.invalid
        for row in invalid:
            for line in _error_lines(row):
                click.echo(line)
        total = len(result.rows)
        valid = total - len(invalid)
        statuses = _counts(result.by_status(), ["active", "draft"])
        if invalid and not skip_invalid:
            session.rollback()
            raise click.ClickException(
                f"{len(invalid)} of {total} row(s) are invalid; nothing was imported. "
                "Correct them, or use --skip-invalid to import the valid rows only."
            )
        if invalid:
            click.echo(
                f"Warning: {len(invalid)} of {total} row(s) are invalid and "
                f"{'would be' if dry_run else 'were'} skipped.",
                err=True,
            )
        if dry_run:
            session.rollback()
            click.echo(
                f"Checked {total} row(s): {valid} valid ({statuses or 'none'}). "
                "Nothing was imported (--dry-run)."
            )
            return
    click.echo(f"Imported {valid} posting(s) ({statuses or 'none'}) from {file.name}.")
