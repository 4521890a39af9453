"""``flask users …``: manage accounts from the shell."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app import db
from events.services import UserExists, create_user, find_user_by_email

MIN_PASSWORD_LENGTH = 8

users = AppGroup("users", help="Create accounts and set passwords.")


def register(app: Flask) -> None:
    app.cli.add_command(users)


def _check_password(ctx, param, value: str) -> str:
    if value is not None and len(value) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"use at least {MIN_PASSWORD_LENGTH} characters")
    return value


@users.command("create")
@click.argument("email")
@click.option("--name", "display_name", help="Display name (defaults to the email's local part).")
@click.option("--admin", is_flag=True, help="Site administrator: organises every event.")
@click.password_option(callback=_check_password)
def create_command(email: str, display_name: str | None, admin: bool, password: str) -> None:
    """Create an account for EMAIL."""
    if "@" not in email:
        raise click.BadParameter("not an email address", param_hint="EMAIL")
    try:
        user = create_user(email, display_name or email.split("@")[0], password, admin=admin)
    except UserExists:
        raise click.ClickException(f"an account for {email} already exists") from None
    db.session.commit()
    click.echo(f"Created {'admin ' if admin else ''}account {user.email}.")


@users.command("set-password")
@click.argument("email")
@click.password_option(callback=_check_password)
def set_password_command(email: str, password: str) -> None:
    """Set a new password for EMAIL."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    user.set_password(password)
    db.session.commit()
    click.echo(f"Password changed for {user.email}.")


@users.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Stop EMAIL from signing in (keeps the account and its history)."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    user.active = False
    db.session.commit()
    click.echo(f"Deactivated {user.email}.")
