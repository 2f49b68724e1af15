"""The municipality and its areas, with CBS codes for wijken and buurten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.db import UTCDateTime, db, utcnow


class Municipality(db.Model):
    """The one municipality (gemeente) a deployment serves; ``code`` is CBS ``GM0361``."""

    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The logo in the page header (panel.areas.logo): checked, sanitised bytes, kept in the
    # database so that every app process serves the same; loaded only when asked for.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(20))  # image/png or image/svg+xml
    logo_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the bytes

    @property
    def digits(self) -> str:
        return self.code[2:]


class Area(db.Model):
    """A gebied: a part of the municipality with its own area team."""

    __tablename__ = "area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        back_populates="area", order_by="Neighbourhood.code"
    )


class Neighbourhood(db.Model):
    """A wijk, identified by its CBS code (``WK036101``) from the CBS map of ``cbs_year``."""

    __tablename__ = "neighbourhood"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    cbs_year: Mapped[int] = mapped_column(Integer)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)

    area: Mapped[Area] = relationship(back_populates="neighbourhoods")
    districts: Mapped[list[District]] = relationship(
        back_populates="neighbourhood", order_by="District.code"
    )


class District(db.Model):
    """A buurt inside a wijk, identified by its CBS code (``BU03610101``)."""

    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    cbs_year: Mapped[int] = mapped_column(Integer)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id"), index=True)

    neighbourhood: Mapped[Neighbourhood] = relationship(back_populates="districts")


class Boundary(db.Model):
    """The shape of a wijk or buurt, from CBS's *wijk- en buurtkaart*, for the maps.

    ``level`` is ``neighbourhood`` (wijk) or ``district`` (buurt) and ``code`` its CBS code
    (``WK036101``, ``BU03610101``). The simplified shape is kept twice: ``geojson`` is a
    GeoJSON geometry in WGS84 (longitude, latitude to 6 decimals) for the API, ``rd_rings``
    the same shape in RD New (EPSG:28992) metres, whole numbers, as JSON: a list of
    polygons, each a list of rings (the outer ring first), each a list of ``[x, y]``. The
    RD bounding box (``min_x``…``max_y``) lets a map find its view without reading shapes.
    """

    __tablename__ = "boundary"
    __table_args__ = (UniqueConstraint("level", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(10))
    geojson: Mapped[str] = mapped_column(Text)
    rd_rings: Mapped[str] = mapped_column(Text)
    min_x: Mapped[float] = mapped_column(Float)
    min_y: Mapped[float] = mapped_column(Float)
    max_x: Mapped[float] = mapped_column(Float)
    max_y: Mapped[float] = mapped_column(Float)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
