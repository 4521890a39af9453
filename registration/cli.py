"""``flask demo``: load the demonstration data set."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from app import db
from events.models import Event
from registration import demo


def register(app: Flask) -> None:
    app.cli.add_command(demo_command)


@click.command("demo")
@with_appcontext
@click.option("--seed", default=2019, show_default=True, help="Seed for the generated people.")
def demo_command(seed: int) -> None:
    """Load the demo events once; later runs keep the data and print the logins."""
    if db.session.execute(db.select(Event.id).limit(1)).first() is None:
        summary = demo.load(seed=seed)
        db.session.commit()
        click.echo(
            f"Demo data loaded: {summary['events']} events, "
            f"{summary['registrations']} registrations, {summary['delegations']} delegations."
        )
    else:
        click.echo("Events already exist: demo data left as it is.")
    click.echo(f"Demo sign-ins (password for all: {demo.DEMO_PASSWORD}):")
    for email, role in demo.DEMO_ACCOUNTS:
        click.echo(f"  {email:<28} {role}")
