"""Review commands: real decisions as evaluation data for the matching engine."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from matchmaker.cli.base import cli, require_schema, unit_of_work
from matchmaker.review import learning


@cli.command("export-judgments")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for judgments.jsonl and postings.jsonl.",
)
@with_appcontext
def export_judgments(out_dir: Path) -> None:
    """Write the managers' decisions as judgments for `matchmaker eval`.

    Grades: rejected 0, approved 1, introduced 2, introduced with a deal 3. Run
    `matchmaker eval --postings OUT/postings.jsonl --judgments OUT/judgments.jsonl` next.
    """
    require_schema()
    with unit_of_work() as session:
        postings, judgments = learning.judgments(session)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in (("postings.jsonl", postings), ("judgments.jsonl", judgments)):
        with (out_dir / name).open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    click.echo(f"{len(judgments)} judgment(s) on {len(postings)} posting(s) written to {out_dir}.")
