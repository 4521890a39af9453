"""Composition root of Huiwu.

Only the unbound extensions and :func:`create_app` live here. Project modules
are imported inside the factory so that importing ``app`` never drags in the
whole application (and never creates import cycles between features).
"""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names let Alembic drop and alter constraints on every
# database, SQLite's batch mode included.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(get_remote_address)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; ``test_config`` overrides every other source."""
    from events import (
        auth,
        cli,
        config,
        dbpool,
        dbtypes,
        i18n,
        manage,
        navigation,
        programme,
        views,
        web,
    )
    from events.roadshow import (
        catalogue,
        match_admin,
        match_portal,
        match_sessions,
        project_admin,
        schedule_admin,
        submissions,
    )
    from events.roadshow import public as roadshow_public
    from events.roadshow import web as roadshow_web
    from registration import (
        attendees,
        badge_views,
        delegation_admin,
        delegation_portal,
        personal_data,
        questions,
    )
    from registration import cli as registration_cli
    from registration import views as registration_views
    from registration import web as registration_web
    from registration.checkin import admin as checkin_admin
    from registration.checkin import api as checkin_api
    from registration.checkin import arrivals as checkin_arrivals
    from registration.checkin import doorway as checkin_doorway
    from registration.checkin import views as checkin_views

    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=config.instance_path(test_config),
    )
    config.load(app, test_config)

    db.init_app(app)
    with app.app_context():
        dbpool.install(app, db.engine)
    migrate.init_app(
        app,
        db,
        directory=config.MIGRATIONS_DIR,
        render_as_batch=True,
        compare_type=True,
        render_item=dbtypes.render_migration_item,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    auth.init_login(app, login_manager)
    web.init_app(app)

    navigation.init_app(app)
    for blueprint in (
        auth.bp,
        views.bp,
        manage.bp,
        programme.bp,
        attendees.bp,
        questions.bp,
        registration_views.bp,
        delegation_admin.bp,
        delegation_portal.bp,
        badge_views.bp,
        personal_data.bp,
        checkin_views.bp,
        checkin_admin.bp,
        checkin_api.bp,
        checkin_arrivals.bp,
        project_admin.bp,
        submissions.bp,
        catalogue.bp,
        roadshow_public.bp,
        schedule_admin.bp,
        match_admin.bp,
        match_portal.bp,
        match_sessions.bp,
    ):
        app.register_blueprint(blueprint)
    registration_web.init_app(app)
    roadshow_web.init_app(app)
    checkin_doorway.install(app)

    cli.register(app)
    registration_cli.register(app)
    return app
