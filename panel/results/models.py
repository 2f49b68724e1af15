"""Indicators, survey editions and results per area. Indicators are data, not code."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.db import UTCDateTime, db, utcnow


class Unit(enum.StrEnum):
    PERCENTAGE = "percentage"  # 0 to 100
    MARK = "mark"  # a report mark, 1 to 10
    COUNT = "count"  # 0 or more


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
    position: Mapped[int] = mapped_column(Integer, default=0)

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

    edition: Mapped[Edition] = relationship()
    indicator: Mapped[Indicator] = relationship()
