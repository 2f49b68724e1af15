"""Shared bits of the results tests."""

from __future__ import annotations

from panel.db import db
from panel.results.models import Edition, Indicator, Result


def add(edition: Edition, indicator: Indicator, code: str, value: float,
        respondents: int | None = 200, ci: tuple[float, float] | None = None) -> Result:
    level = "municipality" if code.startswith("GM") else "neighbourhood"
    low, high = ci if ci else (None, None)
    result = Result(edition_id=edition.id, indicator_id=indicator.id, area_level=level,
                    area_code=code, value=value, respondents=respondents, ci_low=low,
                    ci_high=high)
    db.session.add(result)
    db.session.flush()
    return result
