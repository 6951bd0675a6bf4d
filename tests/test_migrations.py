"""Migrations build the schema the models describe, on SQLite and PostgreSQL, and roll back."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from matchmaker import migrate
from matchmaker.models import Category


def test_schema_matches_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_database_is_at_head(engine: Engine) -> None:
    assert migrate.is_up_to_date(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_default_taxonomy_has_the_eight_categories(engine: Engine) -> None:
    with engine.connect() as conn:
        slugs = set(conn.execute(select(Category.slug)).scalars())  # type: ignore[call-overload]
    assert {
        "material",
        "production_capacity",
        "logistics",
        "storage",
        "personnel",
        "equipment",
        "services",
        "know_how",
    } <= slugs


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert "posting" in inspect(engine).get_table_names()
    assert migrate.is_up_to_date(engine)
