"""Indicators, survey editions and results per area. Indicators are data, not code."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    null,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.db import UTCDateTime, db, utcnow


class Unit(enum.StrEnum):
    PERCENTAGE = "percentage"  # 0 to 100
    MARK = "mark"  # a report mark, 1 to 10
    COUNT = "count"  # 0 or more
    SCORE = "score"  # a scale score, 0 to 10 (e.g. "fysieke verloedering")


# How many decimals a figure is shown with, unless the indicator says otherwise.
DEFAULT_DECIMALS: dict[str, int] = {Unit.PERCENTAGE: 0, Unit.MARK: 1, Unit.COUNT: 0,
                                    Unit.SCORE: 1}
MAX_DECIMALS = 3


def default_decimals(unit: str | None) -> int:
    """The usual number of decimals for ``unit``: 32%, 7,3, 120, 4,1."""
    return DEFAULT_DECIMALS.get(unit or "", 0)


def _decimals_for_unit(context: Any) -> int:
    return default_decimals(context.get_current_parameters().get("unit"))


class AreaLevel(enum.StrEnum):
    MUNICIPALITY = "municipality"  # GM code
    AREA = "area"  # gebied code
    NEIGHBOURHOOD = "neighbourhood"  # WK code


class Indicator(db.Model):
    """Something the survey measures, e.g. the share of residents who ever feel unsafe."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_nl: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    explanation_nl: Mapped[str] = mapped_column(Text, default="")
    explanation_en: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(12))
    higher_is_better: Mapped[bool] = mapped_column(Boolean)
    theme: Mapped[str] = mapped_column(String(80), default="")
    # The theme's English name; empty: the Dutch one (``trends.ThemeRows.shown``).
    theme_en: Mapped[str] = mapped_column(String(80), default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # How many decimals a figure is shown with (0 for "32%", 1 for "7,3").
    decimals: Mapped[int] = mapped_column(Integer, default=_decimals_for_unit,
                                          server_default=text("0"))
    # A retired indicator takes no new results and is left out where it has none; it is
    # kept (never deleted) while it has results.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_nl

    def explanation(self, language: str) -> str:
        return self.explanation_en if language == "en" else self.explanation_nl


class Edition(db.Model):
    """One edition (year) of the survey. Only published editions are shown to the public."""

    __tablename__ = "edition"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Result(db.Model):
    """The value of one indicator for one area in one edition."""

    __tablename__ = "result"
    __table_args__ = (UniqueConstraint("edition_id", "indicator_id", "area_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"),
                                            index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"),
                                              index=True)
    area_level: Mapped[str] = mapped_column(String(14))
    area_code: Mapped[str] = mapped_column(String(40), index=True)
    value: Mapped[float] = mapped_column(Float)
    respondents: Mapped[int | None] = mapped_column(Integer)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    # Derived state (``panel.results.protection.refresh``): whether the figure is withheld to
    # protect a small figure elsewhere, worked out for the minimum number of respondents in
    # ``protected_for``. Worked out again when results or gebieden change; any other change
    # of the row, however made, sets ``protected_for`` to NULL ("not worked out"), and a
    # page that meets such a row works the outcome out itself.
    withheld: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    protected_for: Mapped[int | None] = mapped_column(Integer, onupdate=null())

    edition: Mapped[Edition] = relationship()
    indicator: Mapped[Indicator] = relationship()
