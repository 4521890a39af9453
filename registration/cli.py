"""``flask demo``: load the demonstration data set."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app import db
from events.models import Event
from registration import badge_views, demo, mail, privacy
from registration import badges as badge_pdf
from registration.models import EmailOutbox, MailStatus


def register(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(outbox)
    app.cli.add_command(privacy_group)
    app.cli.add_command(badges_group)


badges_group = AppGroup("badges", help="Printable badges.")


@badges_group.command("render")
@click.argument("slug")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option("--layout", type=click.Choice(badge_pdf.LAYOUTS), default="a4", show_default=True)
@click.option("--category", help="Only this category (its code, e.g. guest).")
@click.option("--delegation", help="Only this delegation (its name or number).")
@click.option("--unprinted", is_flag=True, help="Only badges not printed yet.")
def render_badges_command(slug, out, layout, category, delegation, unprinted) -> None:
    """Write the confirmed badges of the event SLUG to a PDF file, and mark them printed."""
    event = db.session.execute(db.select(Event).filter_by(slug=slug)).scalar_one_or_none()
    if event is None:
        raise click.ClickException(f"no event with the web address {slug!r}")
    chosen = badge_views.confirmed_of(
        event,
        category_id=_category_id(event, category),
        delegation_id=_delegation_id(event, delegation),
        unprinted=unprinted,
    )
    if not chosen:
        raise click.ClickException("no confirmed registration matches: nothing to print")
    with click.progressbar(chosen, label=f"{len(chosen)} badges") as bar:
        data = badge_pdf.render((badge_views.badge_data(r) for r in bar), layout)
    with open(out, "wb") as target:
        target.write(data)
    badge_views.mark_printed(chosen)
    db.session.commit()
    click.echo(f"Wrote {len(chosen)} badges ({len(data) / 1e6:.1f} MB) to {out}.")


def _category_id(event: Event, code: str | None) -> int | None:
    if not code:
        return None
    found = next((c.id for c in event.categories if c.code == code), None)
    if found is None:
        codes = ", ".join(c.code for c in event.categories)
        raise click.ClickException(f"no category {code!r} in this event (there are: {codes})")
    return found


def _delegation_id(event: Event, wanted: str | None) -> int | None:
    if not wanted:
        return None
    for delegation in badge_views.delegations_of(event):
        if wanted in (delegation.name, str(delegation.id)):
            return delegation.id
    raise click.ClickException(f"no delegation {wanted!r} in this event")


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


@outbox.command("watch")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05, max=60),
    default=0.5,
    show_default=True,
    help="Seconds to wait when nothing is due.",
)
@click.option(
    "--yield-above",
    type=click.FloatRange(min=0, max=1),
    default=0.5,
    show_default=True,
    help="Wait while other processes keep more than this share of the CPUs busy (0: never).",
)
@click.option(
    "--max-defer",
    type=click.FloatRange(min=0),
    default=30,
    show_default=True,
    help="Seconds a message may wait for the CPUs to calm down.",
)
def outbox_watch(interval: float, yield_above: float, max_defer: float) -> None:
    """Keep sending messages as they are queued, until stopped (SIGTERM or Ctrl-C).

    Run it beside the web server with HUIWU_MAIL_SEND_AFTER_RESPONSE=watcher:
    the web workers then leave all mail to this process, and in a rush it
    lets them have the CPUs (on Linux), catching up as soon as they are free.
    """
    stopping = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_frame: stopping.set())
    app = current_app._get_current_object()
    click.echo(f"Watching the outbox every {interval:g} s; SIGTERM or Ctrl-C stops.")

    def report(error: Exception) -> None:
        app.logger.warning("outbox watch: %s, trying again", type(error).__name__)

    counts = mail.watch(
        interval=interval,
        stopping=stopping,
        on_error=report,
        is_busy=mail.CpuMeter().busier_than(yield_above) if yield_above else None,
        max_defer=timedelta(seconds=max_defer),
    )
    click.echo(f"Stopped. Sent {counts['sent']}, failed {counts['failed']}.")


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
