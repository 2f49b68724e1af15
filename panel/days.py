"""Dutch days: a date as the stretch of time it is in the Netherlands.

The database keeps UTC. A day chosen on a page (a report's period, a filter's "from" and
"to") runs from 00:00 to 24:00 Europe/Amsterdam: from 23:00 UTC the evening before in
winter, from 22:00 UTC in summer. A range is half-open, ``start <= moment < end``, where
``end`` is the first moment of the day after the last one; so no moment is lost between
23:59:59.999 and midnight, and the days of the clock changes are 23 and 25 hours long.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["LOCAL", "day_bounds", "day_start", "dutch_day_bounds", "local_date"]

LOCAL = ZoneInfo("Europe/Amsterdam")


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in the Netherlands, in UTC."""
    return datetime.combine(day, time(0), tzinfo=LOCAL).astimezone(UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first moment of a Dutch day and of the day after, in UTC: 24 hours apart, but 23
    on the last Sunday of March and 25 on the last Sunday of October."""
    return day_start(day), day_start(day + timedelta(days=1))


def dutch_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The days ``first`` up to and including ``last`` as ``[start, end)`` in UTC: count a
    moment when ``start <= moment < end``."""
    return day_start(first), day_start(last + timedelta(days=1))


def local_date(moment: datetime) -> date:
    """The date in the Netherlands at ``moment`` (an aware datetime)."""
    return moment.astimezone(LOCAL).date()
