"""``flask demo``: load the demonstration data set."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from app import db
from events.models import Event
from registration import demo, mail, privacy
from registration.models import EmailOutbox, MailStatus


def register(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(outbox)
    app.cli.add_command(privacy_group)


privacy_group = AppGroup("privacy", help="Personal data after the event.")


@privacy_group.command("purge")
@click.argument("slug")
@click.option("--force", is_flag=True, help="Purge before the retention period has passed.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge_command(slug: str, force: bool, yes: bool) -> None:
    """Anonymise the registrations of the archived event SLUG, keeping the counts."""
    event = db.session.execute(db.select(Event).filter_by(slug=slug)).scalar_one_or_none()
    if event is None:
        raise click.ClickException(f"no event with the web address {slug!r}")
    if not yes:
        click.confirm(f"Remove the personal data of {event.title_zh} for good?", abort=True)
    try:
        counts = privacy.purge_event(event, force=force)
    except privacy.PurgeRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    db.session.commit()
    click.echo(
        f"Anonymised {counts['registrations']} registrations and "
        f"{counts['delegations']} delegation contacts of {slug}."
    )


outbox = AppGroup("outbox", help="The queue of outgoing email.")


@outbox.command("send")
@click.option("--all", "everything", is_flag=True, help="Also messages whose retry is not due.")
def outbox_send(everything: bool) -> None:
    """Send pending messages (run from cron every minute in production)."""
    counts = mail.send_pending(ignore_schedule=everything)
    click.echo(f"Sent {counts['sent']}, failed {counts['failed']}.")


@outbox.command("status")
def outbox_status() -> None:
    """Count messages by status."""
    rows = db.session.execute(
        db.select(EmailOutbox.status, db.func.count()).group_by(EmailOutbox.status)
    )
    counts = {status.value: count for status, count in rows}
    click.echo(", ".join(f"{s.value}: {counts.get(s.value, 0)}" for s in MailStatus))


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
