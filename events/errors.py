"""The one shape of a refusal by a business rule, and how a view shows it."""

from __future__ import annotations

from flask import flash


class RuleError(Exception):
    """A service refused a change.

    ``message`` is usually a lazy string, translated only when shown, so
    services can raise outside a request. ``field`` names the form field the
    message belongs to; without one it is shown as a page message.
    """

    field: str | None = None

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field or self.field


def show_on_form(form, error: RuleError) -> None:
    """Put the refusal under its field, or flash it when it concerns the whole form."""
    target = getattr(form, error.field or "", None)
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, str(error.message)]
    else:
        flash(str(error.message), "danger")
