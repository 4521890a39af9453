"""Query-string filters shared by the project catalogue and the matchmaking directory.

A refused value is dropped and explained in a message; it never causes an
error page.
"""

from __future__ import annotations

from flask_babel import gettext as _

from events.roadshow.models import Sector

#: The largest capital in 万元 a filter accepts (a trillion yuan).
MAX_CAPITAL_WAN = 100_000_000


def sector_filter(args, messages: list[str]) -> Sector | None:
    if not args.get("sector"):
        return None
    try:
        return Sector(args["sector"])
    except ValueError:
        messages.append(_("Unknown sector: showing all sectors."))
        return None


def capital_bounds(args, messages: list[str]) -> tuple[int | None, int | None]:
    """``min`` and ``max`` in 万元 (commas allowed); both dropped when min > max."""
    bounds: dict[str, int | None] = {}
    for key in ("min", "max"):
        raw = (args.get(key) or "").strip().replace(",", "")
        value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else -1
        if not raw:
            value = None
        elif not 0 <= value <= MAX_CAPITAL_WAN:
            messages.append(
                _("“%(value)s” is not a whole number of 10,000 yuan: ignored.", value=args.get(key))
            )
            value = None
        bounds[key] = value
    if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
        messages.append(_("The minimum capital is above the maximum: no capital filter used."))
        return None, None
    return bounds["min"], bounds["max"]
