"""Local time (Europe/Amsterdam) in forms and on pages; UTC in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l

from panel.days import LOCAL, day_bounds
from panel.db import utcnow
from panel.errors import DomainError

__all__ = ["LOCAL", "day_bounds", "local_today", "to_local", "to_utc"]


def to_utc(day: date, clock: time) -> datetime:
    """A local date and clock time as an aware UTC datetime.

    Raises DomainError for a time that does not exist because the clocks go forward (for
    example 02:30 on the last Sunday of March). A time that happens twice when the clocks
    go back is taken as the first one (summer time).
    """
    naive = datetime.combine(day, clock)
    local = naive.replace(tzinfo=LOCAL, fold=0)
    if local.astimezone(UTC).astimezone(LOCAL).replace(tzinfo=None) != naive:
        raise DomainError(_l("This time does not exist on that day, because the clocks go "
                             "forward. Choose another time."))
    return local.astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    """An aware datetime in Europe/Amsterdam."""
    return moment.astimezone(LOCAL)


def local_today(now: datetime | None = None) -> date:
    """The date in the Netherlands at ``now`` (default: this moment)."""
    return to_local(now or utcnow()).date()


