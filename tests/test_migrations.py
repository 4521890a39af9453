"""Schema drift: the migrations must build exactly the schema the models declare.

Each test gets an empty database (a fresh SQLite file, or a recreated
PostgreSQL database on the session's throwaway server), runs the migrations
with Flask-Migrate and asks Alembic's autogenerate to compare the result with
the models' metadata. Any difference means a migration is missing or wrong.
"""

from __future__ import annotations

import logging
import pprint

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app import db
from events.config import MIGRATIONS_DIR
from tests.conftest import BACKENDS, make_test_app


@pytest.fixture(autouse=True)
def keep_logging_configuration():
    """migrations/env.py runs logging.config.fileConfig, which disables every
    existing logger and replaces the root handlers: put everything back."""
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    saved = {
        name: (logger.disabled, logger.level, list(logger.handlers), logger.propagate)
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    root.setLevel(saved_root[0])
    root.handlers[:] = saved_root[1]
    for name, logger in logging.root.manager.loggerDict.items():
        if not isinstance(logger, logging.Logger):
            continue
        disabled, level, handlers, propagate = saved.get(name, (False, logging.NOTSET, [], True))
        logger.disabled = disabled
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate = propagate


@pytest.fixture(params=BACKENDS)
def migration_app(request, tmp_path):
    """An app on an empty database that no test has created tables in."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrate.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database("huiwu_migrate")
    app = make_test_app(url, tmp_path / "instance")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def schema_diff(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "render_as_batch": connection.dialect.name == "sqlite",
            },
        )
        return compare_metadata(context, db.metadata)


def table_names(app) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def test_migrations_build_exactly_the_schema_the_models_declare(migration_app):
    with migration_app.app_context():
        flask_migrate.upgrade()
    diff = schema_diff(migration_app)
    assert diff == [], "models and migrations differ:\n" + pprint.pformat(diff)


def test_migrations_create_every_model_table_and_record_the_head_revision(migration_app):
    with migration_app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
    assert table_names(migration_app) == {*db.metadata.tables, "alembic_version"}
    head = ScriptDirectory(MIGRATIONS_DIR).get_current_head()
    assert revision == head
    assert head.isdigit()  # revisions are numbered 0001, 0002, … in order


def test_downgrade_to_base_drops_every_table_and_upgrade_rebuilds_them(migration_app):
    with migration_app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
    assert table_names(migration_app) == {"alembic_version"}

    with migration_app.app_context():
        flask_migrate.upgrade()
    assert table_names(migration_app) == {*db.metadata.tables, "alembic_version"}
    diff = schema_diff(migration_app)
    assert diff == [], "schema differs after downgrade and upgrade:\n" + pprint.pformat(diff)


def test_an_empty_database_differs_from_the_models(migration_app):
    """The drift check is not vacuous: without migrations every table is missing."""
    diff = schema_diff(migration_app)
    added = {entry[1].name for entry in diff if entry[0] == "add_table"}
    assert added == set(db.metadata.tables)
