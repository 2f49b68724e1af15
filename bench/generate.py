"""Synthetic data for the benchmark, at any scale, written with bulk inserts.

Scale 1 is about the size of the demo municipality (5 gebieden, 10 wijken, 500 members,
20 meetings); scale 100 is a big city: 20 gebieden, 100 wijken with buurten and a postcode
table, 50,000 panel members, 2,000 meetings with 100,000 replies, 100,000 feedback items
with 10,000 actions, 20 motions with a draft report each (two of them final), and ten
published survey editions of 30 indicators for every wijk and the municipality. Counted
rows grow linearly with the scale; the number of gebieden, wijken, motions, editions and
indicators grows from the demo's to the big city's between scale 1 and 100.

The data is deterministic for a seed (``random.Random(seed)``); times are relative to the
moment of generation, so upcoming meetings stay upcoming. Rows are written with SQLAlchemy
Core ``insert()`` and lists of dicts, in batches, with explicit primary keys (PostgreSQL's
sequences are moved past them at the end). Staff accounts: ``beheer@bench.example``
(admin), ``griffie@bench.example`` (clerk) and ``team-<gebied>@bench.example`` (team, one
per gebied), all with the password :data:`PASSWORD`.

Usage::

    python -m bench.generate --url sqlite:///bench/work/bench.db --scale 100
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import io
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Table, func, select, text
from werkzeug.security import generate_password_hash

from panel import create_app
from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.auth.models import Role, User, user_area
from panel.db import db
from panel.demo.services import DEMO_THEMES, FIRST_NAMES, LAST_NAMES
from panel.feedback.models import (
    Action,
    ActionUpdate,
    FeedbackItem,
    Theme,
    action_item,
    action_meeting,
)
from panel.meetings.models import (
    Invitation,
    Meeting,
    Reply,
    meeting_neighbourhood,
    meeting_staff,
)
from panel.migrations import upgrade
from panel.motions.models import (
    FollowUpReport,
    Motion,
    MotionRequest,
    motion_area,
    motion_neighbourhood,
    motion_theme,
)
from panel.results import protection
from panel.results.models import Edition, Indicator, Result
from panel.signups.models import Consent, ConsentStatement, PanelMember, Postcode

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCH_DIR / "work"
PASSWORD = "bench-wijkpanel-2026"  # noqa: S105 (synthetic accounts on a loopback server)
SECRET_KEY = "bench-secret-key-fixed-for-reproducible-runs-0123456789"  # noqa: S105
DEFAULT_SEED = 2026
BATCH = 5000
MUNICIPALITY_CODE = "GM0363"
ADMIN_EMAIL = "beheer@bench.example"
CLERK_EMAIL = "griffie@bench.example"

AREA_NAMES = ["Centrum", "Noord", "Oost", "Zuid", "West", "Nieuw-West", "Zuidoost",
              "Havens", "Bos en Lommer", "De Pijp", "Watergraafsmeer", "Osdorp", "Geuzenveld",
              "Slotervaart", "IJburg", "Buitenveldert", "Oud-Zuid", "Indische Buurt",
              "Landelijk Noord", "Westpoort"]
WIJK_WORDS = ["Park", "Haven", "Dorp", "Veld", "Meer", "Hof", "Kade", "Wei", "Polder", "Burcht"]
# The same names and themes as the demo municipality.
THEMES = DEMO_THEMES
THEME_WEIGHTS = [12, 14, 25, 4, 6, 5, 10, 24]
PHRASES = {
    "drugs": ["Er wordt gedeald bij {place}.", "Veel lachgas rond {place} in het weekend."],
    "jeugd": ["Groepen jongeren hangen 's avonds rond bij {place}.",
              "Er wordt geschreeuwd en met brommers gereden bij {place}."],
    "verkeer": ["Er wordt veel te hard gereden bij {place}.",
                "Auto's staan dubbel geparkeerd bij {place}."],
    "cyber": ["Buren zijn opgelicht via een nep-bericht.", "Veel phishing-mails in de wijk."],
    "straatintimidatie": ["Vrouwen worden nageroepen bij {place}."],
    "onbegrepen_gedrag": ["Een verwarde man loopt vaak bij {place}."],
    "inbraak": ["Er is ingebroken in schuurtjes bij {place}.", "Fietsen gestolen bij {place}."],
    "leefbaarheid": ["De verlichting bij {place} is kapot.", "Veel zwerfvuil bij {place}.",
                     "Het is donker en onoverzichtelijk bij {place}."],
}
PLACES = ["de school", "het winkelcentrum", "het park", "de speeltuin", "het station",
          "de sporthal", "het plein", "de brug", "het buurthuis", "de bushalte"]
UNITS = ["percentage", "mark", "percentage", "percentage", "mark", "percentage"]


def _between(scale: float, small: int, big: int) -> int:
    """A size that grows linearly from ``small`` at scale 1 to ``big`` at scale 100."""
    clamped = min(max(scale, 1.0), 100.0)
    return round(small + (big - small) * (clamped - 1.0) / 99.0)


@dataclass(frozen=True)
class Sizes:
    """How many of everything to make at a scale."""

    scale: float
    areas: int
    wijken: int
    buurten_per_wijk: int
    postcodes_per_buurt: int
    members: int
    meetings: int
    replies: int
    feedback: int
    actions: int
    motions: int
    editions: int
    indicators: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        if scale <= 0:
            raise ValueError("the scale must be positive")
        return cls(scale=scale, areas=_between(scale, 5, 20), wijken=_between(scale, 10, 100),
                   buurten_per_wijk=_between(scale, 3, 5),
                   postcodes_per_buurt=_between(scale, 3, 10),
                   members=round(500 * scale), meetings=max(5, round(20 * scale)),
                   replies=round(1000 * scale), feedback=round(1000 * scale),
                   actions=round(100 * scale), motions=_between(scale, 2, 20),
                   editions=_between(scale, 3, 10), indicators=_between(scale, 8, 30))


@dataclass
class Summary:
    """What was generated: row counts, the seconds it took and handy identifiers."""

    scale: float
    seed: int
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    wijk_code: str = ""  # a typical wijk, for the page benchmarks
    area_code: str = ""  # its gebied
    team_email: str = ""  # the team account of that gebied
    report_id: int = 0  # a draft follow-up report scoped to that gebied
    final_report_id: int = 0  # a final one
    motion_reference: str = ""
    final_reference: str = ""  # the motion of the final report (the open-data API shows it)
    final_version: int = 0  # and that report's version
    meeting_id: int = 0  # an open upcoming meeting of the gebied (invitations link to it)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _batches(rows: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in lists of at most ``size``."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


class _Writer:
    """Bulk inserts through one connection, counting rows per table."""

    def __init__(self, connection: Connection, summary: Summary) -> None:
        self.connection = connection
        self.summary = summary

    def insert(self, table: Table, rows: Iterable[dict[str, Any]]) -> int:
        count = 0
        for batch in _batches(rows):
            self.connection.execute(table.insert(), batch)
            count += len(batch)
        self.summary.rows[table.name] = self.summary.rows.get(table.name, 0) + count
        return count


def _token(kind: str, number: int) -> str:
    """A unique, deterministic stand-in for a stored token hash."""
    return hashlib.sha256(f"bench-{kind}-{number}".encode()).hexdigest()


def _interval(unit: str, value: float, respondents: int) -> tuple[float, float]:
    """A 95% confidence interval like the survey bureau's (as in the demo)."""
    if unit == "percentage":
        p = value / 100
        half = 1.96 * math.sqrt(max(p * (1 - p), 0.0025) / respondents) * 100
        return round(max(0.0, value - half), 1), round(min(100.0, value + half), 1)
    half = 1.96 * 1.3 / math.sqrt(respondents)
    return round(max(1.0, value - half), 1), round(min(10.0, value + half), 1)


@dataclass
class _World:
    """Identifiers the later steps need (kept small: ids and codes only)."""

    now: datetime
    area_ids: list[int] = field(default_factory=list)
    area_codes: list[str] = field(default_factory=list)
    wijken: list[tuple[int, str, int]] = field(default_factory=list)  # id, code, area id
    postcodes: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # wijk -> pc
    team_ids: dict[int, int] = field(default_factory=dict)  # area id -> team user id
    admin_id: int = 1
    members_by_area: dict[int, list[int]] = field(default_factory=dict)  # confirmed only
    members_by_wijk: dict[int, list[int]] = field(default_factory=dict)  # confirmed only
    meetings_by_area: dict[int, list[tuple[int, datetime]]] = field(default_factory=dict)
    items_by_area: dict[int, list[tuple[int, datetime]]] = field(default_factory=dict)
    theme_ids: list[int] = field(default_factory=list)


def populate(scale: float, seed: int = DEFAULT_SEED, *,
             log: Callable[[str], None] | None = None) -> Summary:
    """Fill the current app's (empty, migrated) database with data at ``scale``.

    Needs an app context. Commits. Returns a :class:`Summary`.
    """
    say = log or (lambda message: None)
    sizes = Sizes.at(scale)
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
    summary = Summary(scale=scale, seed=seed)
    started = time.perf_counter()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    world = _World(now=now)
    with db.engine.begin() as connection:
        writer = _Writer(connection, summary)
        _areas(writer, sizes, world)
        say(f"areas: {sizes.areas} gebieden, {sizes.wijken} wijken")
        _staff(writer, world)
        _members(writer, rng, sizes, world)
        say(f"members: {sizes.members}")
        _meetings(writer, rng, sizes, world)
        say(f"meetings: {sizes.meetings}, replies: {sizes.replies}")
        _feedback(writer, rng, sizes, world)
        say(f"feedback: {sizes.feedback}, actions: {sizes.actions}")
        _results(writer, rng, sizes, world)
        say(f"survey: {sizes.editions} editions x {sizes.indicators} indicators")
        _motions(writer, rng, sizes, world, summary)
        say(f"motions: {sizes.motions}")
        if connection.dialect.name == "postgresql":
            _move_sequences(connection)
    _finalise_reports(summary, world)
    _protect_results()
    summary.meeting_id = _upcoming_meeting(summary.area_code, world.now)
    _boundaries(world)
    say(f"boundaries: {len(world.wijken)} wijken")
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def _areas(writer: _Writer, sizes: Sizes, world: _World) -> None:
    """The municipality, gebieden, wijken, buurten, postcodes, themes and the consent
    statement."""
    writer.insert(Municipality.__table__, [{
        "id": 1, "code": MUNICIPALITY_CODE, "name": "Grootstad (benchmark)", "is_demo": False,
        "created_at": world.now}])
    digits = MUNICIPALITY_CODE[2:]
    areas, wijken, buurten, postcodes = [], [], [], []
    for number in range(1, sizes.areas + 1):
        name = AREA_NAMES[(number - 1) % len(AREA_NAMES)]
        code = f"gebied-{number:02d}"
        areas.append({"id": number, "code": code, "name": name})
        world.area_ids.append(number)
        world.area_codes.append(code)
    postcode_number = 1000
    for index in range(sizes.wijken):
        wijk_id = index + 1
        area_id = world.area_ids[index % sizes.areas]
        code = f"WK{digits}{index:02d}"
        name = f"{WIJK_WORDS[index % len(WIJK_WORDS)]}wijk {AREA_NAMES[area_id - 1]} {index:02d}"
        wijken.append({"id": wijk_id, "code": code, "name": name, "cbs_year": 2023,
                       "area_id": area_id})
        world.wijken.append((wijk_id, code, area_id))
        world.postcodes[wijk_id] = []
        for buurt in range(1, sizes.buurten_per_wijk + 1):
            buurt_id = len(buurten) + 1
            buurten.append({"id": buurt_id, "code": f"BU{digits}{index:02d}{buurt:02d}",
                            "name": f"{name} buurt {buurt}", "cbs_year": 2023,
                            "neighbourhood_id": wijk_id})
            for offset in range(sizes.postcodes_per_buurt):
                letters = chr(65 + offset // 26) + chr(65 + offset % 26)
                postcode = f"{postcode_number}{letters}"
                street = f"{PLACES[offset % len(PLACES)].split()[-1].capitalize()}straat"
                postcodes.append({"id": len(postcodes) + 1, "postcode": postcode,
                                  "street": street, "city": "Grootstad",
                                  "district_id": buurt_id})
                world.postcodes[wijk_id].append((postcode, street))
            postcode_number += 1
    writer.insert(Area.__table__, areas)
    writer.insert(Neighbourhood.__table__, wijken)
    writer.insert(District.__table__, buurten)
    writer.insert(Postcode.__table__, postcodes)
    writer.insert(Theme.__table__, [
        {"id": i + 1, "code": code, "name_nl": nl, "name_en": en, "position": i, "active": True}
        for i, (code, nl, en) in enumerate(THEMES)])
    world.theme_ids = [i + 1 for i in range(len(THEMES))]
    writer.insert(ConsentStatement.__table__, [{
        "id": 1, "version": "2026-1", "published_at": world.now - timedelta(days=3000),
        "text_nl": "Wij gebruiken uw gegevens alleen voor het wijkpanel.",
        "text_en": "We only use your data for the wijkpanel."}])


def _staff(writer: _Writer, world: _World) -> None:
    """One admin, one clerk and a team account per gebied; the password is hashed once."""
    password_hash = generate_password_hash(PASSWORD)
    users = [
        {"id": 1, "email": ADMIN_EMAIL, "name": "Beheerder Benchmark", "role": Role.ADMIN.value},
        {"id": 2, "email": CLERK_EMAIL, "name": "Griffie Benchmark", "role": Role.CLERK.value},
    ]
    links = []
    for area_id, code in zip(world.area_ids, world.area_codes, strict=True):
        user_id = len(users) + 1
        users.append({"id": user_id, "email": f"team-{code}@bench.example",
                      "name": f"Gebiedsteam {AREA_NAMES[area_id - 1]}",
                      "role": Role.TEAM.value})
        links.append({"user_id": user_id, "area_id": area_id})
        world.team_ids[area_id] = user_id
    for user in users:
        user.update(password_hash=password_hash, active=True, created_at=world.now,
                    password_changed_at=world.now, session_version=0, failed_logins=0)
    writer.insert(User.__table__, users)
    writer.insert(user_area, links)


def _members(writer: _Writer, rng: random.Random, sizes: Sizes, world: _World) -> None:
    """Panel members over every wijk: 70% confirmed, 15% invited, 5% pending, 10% left."""
    key_secret = SECRET_KEY.encode()
    consents: list[dict[str, Any]] = []
    area_of = {wijk_id: area_id for wijk_id, _code, area_id in world.wijken}

    def rows() -> Iterator[dict[str, Any]]:
        for number in range(1, sizes.members + 1):
            wijk_id = world.wijken[(number - 1) % len(world.wijken)][0]
            postcode, street = rng.choice(world.postcodes[wijk_id])
            roll = rng.random()
            status = ("member" if roll < 0.70 else "invited" if roll < 0.85
                      else "pending" if roll < 0.90 else "left")
            source_roll = rng.random()
            source = "survey" if source_roll < 0.6 else "online" if source_roll < 0.9 else "staff"
            if status == "pending":
                source = "online"
            created = world.now - timedelta(days=rng.random() * 2900, minutes=number)
            has_email = rng.random() > 0.08
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            respondent = f"VM-{number:07d}" if source == "survey" else None
            row: dict[str, Any] = {
                "id": number, "neighbourhood_id": wijk_id, "status": status, "source": source,
                "respondent_id": respondent, "respondent_key": None,
                "name": f"{first} {last}",
                "email": f"bewoner{number}@bench.example" if has_email else None,
                "phone": "" if has_email else f"06 {number:08d}", "postcode": postcode,
                "house_number": str(rng.randint(1, 180)), "street": street,
                "city": "Grootstad", "language": "en" if rng.random() < 0.08 else "nl",
                "accessibility_needs": "", "availability": rng.choice(
                    ["", "weekday_evening", "weekday_evening,saturday", "weekday_daytime"]),
                "short_code_hash": None, "created_at": created, "updated_at": created,
                "confirmed_at": None, "left_at": None,
            }
            if status in ("member", "left"):
                row["confirmed_at"] = created + timedelta(days=2)
            if status == "member":
                world.members_by_area.setdefault(area_of[wijk_id], []).append(number)
                world.members_by_wijk.setdefault(wijk_id, []).append(number)
                consents.append({
                    "id": len(consents) + 1, "member_id": number, "statement_id": 1,
                    "channel": {"survey": "survey", "online": "online",
                                "staff": "paper"}[source],
                    "given_at": row["confirmed_at"], "recorded_by_id": None,
                    "withdrawn_at": None})
            if status == "left":
                left = min(world.now, created + timedelta(days=rng.randint(30, 900)))
                if respondent:
                    row["respondent_key"] = _respondent_key(key_secret, respondent)
                row.update(left_at=left, respondent_id=None, name="", email=None, phone="",
                           postcode="", house_number="", street="", city="", availability="")
            yield row

    writer.insert(PanelMember.__table__, rows())
    writer.insert(Consent.__table__, consents)


def _respondent_key(secret: bytes, respondent_id: str) -> str:
    """As ``signups.services.respondent_key`` with the benchmark's secret key."""
    return hmac.new(secret, respondent_id.encode(), hashlib.sha256).hexdigest()


def _split(total: int, parts: int, rng: random.Random, spread: float) -> list[int]:
    """``total`` divided over ``parts`` counts that vary by about ``spread`` (0 to 1)."""
    base, rest = divmod(total, parts)
    counts = [base + (1 if i < rest else 0) for i in range(parts)]
    for i in range(0, parts - 1, 2):
        shift = rng.randint(0, int(base * spread))
        counts[i] += shift
        counts[i + 1] -= shift
    return counts


def _meetings(writer: _Writer, rng: random.Random, sizes: Sizes, world: _World) -> None:
    """Meetings over eight years and the next six months (a few within the next 48 hours,
    so reminders are due), with invitations and replies; ``seats_taken`` equals the number
    of attending replies."""
    meetings, wijk_links, staff_links = [], [], []
    invitations, replies = [], []
    wijken_of: dict[int, list[int]] = {}
    for wijk_id, _code, area_id in world.wijken:
        wijken_of.setdefault(area_id, []).append(wijk_id)
    due_soon = max(1, sizes.meetings // 200)
    for index in range(sizes.meetings):
        meeting_id = index + 1
        area_id = world.area_ids[index % len(world.area_ids)]
        if index < due_soon:
            starts = world.now + timedelta(hours=6 + 4 * index)
        elif rng.random() < 0.07:
            starts = world.now + timedelta(days=rng.uniform(3, 180))
        else:
            starts = world.now - timedelta(days=rng.uniform(1, 2920))
        starts = starts.replace(minute=30)
        past = starts < world.now
        roll = rng.random()
        status = "open"
        if index >= due_soon and roll < 0.04:
            status = "cancelled"
        elif index >= due_soon and not past and roll < 0.10:
            status = rng.choice(["draft", "poll"])
        venue = f"Buurthuis {AREA_NAMES[area_id - 1]} {rng.randint(1, 5)}"
        row: dict[str, Any] = {
            "id": meeting_id, "area_id": area_id,
            "title": f"Wijkpanel {AREA_NAMES[area_id - 1]}: {rng.choice(PLACES)}",
            "description": "Het gebiedsteam laat de uitkomsten van de veiligheidsmonitor zien.",
            "agenda": "Welkom\nUitkomsten van de monitor\nWat vindt u belangrijk?\nAfspraken",
            "kind": rng.choice(["in_person", "in_person", "hybrid", "online"]), "venue": venue,
            "address": f"{venue}plein 1, Grootstad", "accessibility": "Rolstoeltoegankelijk.",
            "online_url": "", "starts_at": starts, "ends_at": starts + timedelta(minutes=90),
            "capacity": rng.choice([20, 25, 30, 40, 50, 60]), "seats_taken": 0,
            "waitlist_counter": 0,
            "status": status, "uid": f"bench-{meeting_id}@wijkpanel", "sequence": 0,
            "report": "", "extra_attendees": 0, "closed_at": None,
            "created_by_id": world.team_ids[area_id],
            "created_at": min(starts, world.now) - timedelta(days=30),
            "updated_at": min(starts, world.now) - timedelta(days=1),
        }
        if past and status == "open":
            row.update(report="Bewoners noemden hardrijden en overlast bij het plein.",
                       closed_at=starts + timedelta(hours=2), extra_attendees=rng.randint(0, 4))
        meetings.append(row)
        world.meetings_by_area.setdefault(area_id, []).append((meeting_id, starts))
        wijk_links.extend({"meeting_id": meeting_id, "neighbourhood_id": w}
                          for w in wijken_of[area_id])
        staff_links.append({"meeting_id": meeting_id, "user_id": world.team_ids[area_id]})
    # Replies only for meetings that were open for them (not drafts or polls).
    replied = [m for m in meetings if m["status"] in ("open", "cancelled")]
    for row, wanted in zip(replied, _split(sizes.replies, len(replied), rng, 0.4),
                           strict=True):
        meeting_id, starts = row["id"], row["starts_at"]
        past = starts < world.now
        pool = world.members_by_area.get(row["area_id"], [])
        for position, member_id in enumerate(rng.sample(pool, min(wanted, len(pool)))):
            reply_id = len(replies) + 1
            invitations.append({
                "id": reply_id, "meeting_id": meeting_id, "member_id": member_id,
                "channel": "email", "token_hash": _token("invitation", reply_id),
                "invited_at": starts - timedelta(days=21), "poll_only": False})
            yes = rng.random() < 0.7
            reply_status = "declined"
            if yes and row["seats_taken"] < row["capacity"]:
                reply_status = "attending"
                row["seats_taken"] += 1
            elif yes:
                reply_status = "waiting"
                row["waitlist_counter"] += 1
            replied_at = starts - timedelta(days=14, minutes=position)
            replies.append({
                "id": reply_id, "meeting_id": meeting_id, "member_id": member_id,
                "status": reply_status, "replied_at": replied_at,
                "waiting_since": replied_at if reply_status == "waiting" else None,
                "waiting_number": row["waitlist_counter"] if reply_status == "waiting" else None,
                "entered_by_id": None, "reminder_sent_at": None,
                "attended": (rng.random() < 0.85) if past and reply_status == "attending"
                else None})
    writer.insert(Meeting.__table__, meetings)
    writer.insert(meeting_neighbourhood, wijk_links)
    writer.insert(meeting_staff, staff_links)
    writer.insert(Invitation.__table__, invitations)
    writer.insert(Reply.__table__, replies)


def _item_status(rng: random.Random, age_days: float) -> str:
    """Older items are mostly dealt with; recent ones mostly new or being handled."""
    roll = rng.random()
    if age_days > 90:
        return ("done" if roll < 0.6 else "declined" if roll < 0.75 else
                "passed_on" if roll < 0.85 else "handling" if roll < 0.95 else "new")
    return ("new" if roll < 0.4 else "handling" if roll < 0.8 else
            "passed_on" if roll < 0.9 else "done")


CHECKED_WITHIN_DAYS = 30  # every item older than this has been checked


def _review(roll: float, age_days: float) -> str:
    """Whether an item's words were checked, from its roll (uniform in [0, 1)) and age: 20%
    approved and 10% hidden whatever their age, as before; of the other 70% a part of the
    newest is still waiting (most items are checked within a day, a few wait for weeks), and
    the rest were checked and approved or hidden in the same proportion (2 to 1). A few
    hundred items wait at scale 100, none older than :data:`CHECKED_WITHIN_DAYS`."""
    if roll < 0.2:
        return "approved"
    if roll < 0.3:
        return "hidden"
    waiting = 0.25 * math.exp(-age_days / 0.2) + 0.008 if age_days < CHECKED_WITHIN_DAYS else 0
    if roll >= 1 - waiting:
        return "pending"
    return "approved" if (roll - 0.3) / (0.7 - waiting) < 2 / 3 else "hidden"


def _feedback(writer: _Writer, rng: random.Random, sizes: Sizes, world: _World) -> None:
    """Feedback items (checked for quoting or hidden, except a few recent ones still waiting
    for a check) and actions linked to them."""
    theme_codes = [code for code, _nl, _en in THEMES]

    def items() -> Iterator[dict[str, Any]]:
        for number in range(1, sizes.feedback + 1):
            wijk_id, _code, area_id = world.wijken[rng.randrange(len(world.wijken))]
            theme_index = rng.choices(range(len(THEMES)), THEME_WEIGHTS)[0]
            words = rng.choice(PHRASES[theme_codes[theme_index]]).format(place=rng.choice(PLACES))
            age = rng.random() ** 2 * 2900
            created = world.now - timedelta(days=age, minutes=number % 1440)
            from_meeting = rng.random() < 0.2 and world.meetings_by_area.get(area_id)
            member_pool = world.members_by_wijk.get(wijk_id) or [None]
            review = _review(rng.random(), (world.now - created) / timedelta(days=1))
            status = _item_status(rng, age)
            world.items_by_area.setdefault(area_id, []).append((number, created))
            yield {
                "id": number, "neighbourhood_id": wijk_id, "theme_id": theme_index + 1,
                "place": rng.choice(PLACES), "text": words,
                "public_text": words if review == "approved" else "",
                "source": "meeting" if from_meeting else "resident",
                "member_id": None if from_meeting else rng.choice(member_pool),
                "meeting_id": rng.choice(world.meetings_by_area[area_id])[0]
                if from_meeting else None,
                "status": status,
                "status_reason": "Dit valt buiten wat de gemeente kan doen."
                if status == "declined" else "",
                "partner": "police" if status == "passed_on" else "", "flagged": False,
                "review": review, "reviewed_by_id": None if review == "pending"
                else world.team_ids[area_id],
                "reviewed_at": None if review == "pending"
                else min(world.now, created + timedelta(days=3)),
                "created_by_id": None, "created_at": created,
                "updated_at": min(world.now, created + timedelta(days=5)),
            }

    writer.insert(FeedbackItem.__table__, items())
    actions, links, meeting_links, updates = [], [], [], []
    per_area = _split(sizes.actions, len(world.area_ids), rng, 0.3)
    for area_id, count in zip(world.area_ids, per_area, strict=True):
        area_items = world.items_by_area.get(area_id, [])
        past_meetings = [m for m in world.meetings_by_area.get(area_id, [])
                         if m[1] < world.now]
        for _ in range(count if area_items else 0):
            action_id = len(actions) + 1
            chosen = rng.sample(area_items, min(len(area_items), rng.randint(1, 3)))
            created = min(world.now, max(c for _i, c in chosen) + timedelta(days=7))
            age = (world.now - created).days
            status = ("done" if age > 120 and rng.random() < 0.8 else
                      rng.choice(["planned", "in_progress", "in_progress", "stopped"]))
            progress = 100 if status == "done" else rng.choice([0, 25, 50, 75])
            # The log below: created, and changed 10 days later unless still planned.
            last_progress = created if status == "planned" \
                else min(world.now, created + timedelta(days=10))
            actions.append({
                "id": action_id, "area_id": area_id,
                "title": f"Actie {action_id}: {rng.choice(['controle', 'herstel', 'gesprek'])}"
                         f" bij {rng.choice(PLACES)}",
                "description": "Het gebiedsteam pakt dit op met de partners.",
                "owner": rng.choice(["Gebiedsteam", "Politie", "Handhaving", "Beheer"]),
                "due_date": (created + timedelta(days=rng.randint(14, 120))).date(),
                "status": status, "progress": progress,
                "created_by_id": world.team_ids[area_id], "created_at": created,
                "updated_at": min(world.now, created + timedelta(days=rng.randint(1, 60))),
                "last_progress_at": last_progress})
            links.extend({"action_id": action_id, "item_id": item_id} for item_id, _c in chosen)
            if past_meetings and rng.random() < 0.3:
                meeting_links.append({"action_id": action_id,
                                      "meeting_id": rng.choice(past_meetings)[0]})
            updates.append({"id": len(updates) + 1, "action_id": action_id, "status_from": "",
                            "status_to": "planned", "progress": 0, "note": "",
                            "author_id": world.team_ids[area_id], "created_at": created})
            if status != "planned":
                updates.append({"id": len(updates) + 1, "action_id": action_id,
                                "status_from": "planned", "status_to": status,
                                "progress": progress, "note": "Bijgewerkt.",
                                "author_id": world.team_ids[area_id],
                                "created_at": last_progress})
    writer.insert(Action.__table__, actions)
    writer.insert(action_item, links)
    writer.insert(action_meeting, meeting_links)
    writer.insert(ActionUpdate.__table__, updates)


def _results(writer: _Writer, rng: random.Random, sizes: Sizes, world: _World) -> None:
    """Published survey editions with every indicator for every wijk, every gebied and the
    municipality; two wijken have too few respondents, so their figures stay hidden."""
    indicators = []
    for number in range(1, sizes.indicators + 1):
        unit = UNITS[(number - 1) % len(UNITS)]
        indicators.append({
            "id": number, "code": f"indicator_{number:02d}",
            "name_nl": f"Indicator {number}: ervaart overlast of onveiligheid ({unit})",
            "name_en": f"Indicator {number}: experiences nuisance or unsafety ({unit})",
            "explanation_nl": "Het deel van de inwoners dat dit zegt.",
            "explanation_en": "The share of residents who say so.", "unit": unit,
            "higher_is_better": unit == "mark",
            "theme": rng.choice(["Veiligheidsgevoel", "Leefbaarheid", "Verkeer", "Jeugd"]),
            "position": number})
    writer.insert(Indicator.__table__, indicators)
    last_year = world.now.year - 1
    editions = [{"id": i + 1, "year": last_year - sizes.editions + 1 + i, "published": True,
                 "published_at": world.now - timedelta(days=365 * (sizes.editions - i)),
                 "created_at": world.now - timedelta(days=365 * (sizes.editions - i) + 30)}
                for i in range(sizes.editions)]
    writer.insert(Edition.__table__, editions)
    small = {world.wijken[-1][1], world.wijken[len(world.wijken) // 2][1]}

    def rows() -> Iterator[dict[str, Any]]:
        number = 0
        for edition in editions:
            for indicator in indicators:
                unit = indicator["unit"]
                base = rng.uniform(10, 45) if unit == "percentage" else rng.uniform(6.2, 7.8)
                targets = [("municipality", MUNICIPALITY_CODE, base, 2400)]
                spread = 9.0 if unit == "percentage" else 0.6
                for area_code in world.area_codes:
                    targets.append(("area", area_code, base + rng.uniform(-spread, spread) / 2,
                                    rng.randint(400, 900)))
                for _wijk_id, code, _area in world.wijken:
                    targets.append(("neighbourhood", code, base + rng.uniform(-spread, spread),
                                    18 if code in small else rng.randint(60, 240)))
                for level, code, value, respondents in targets:
                    if unit == "percentage":
                        value = round(min(100.0, max(0.0, value)), 1)
                    else:
                        value = round(min(10.0, max(1.0, value)), 1)
                    low, high = _interval(unit, value, respondents)
                    number += 1
                    yield {"id": number, "edition_id": edition["id"],
                           "indicator_id": indicator["id"], "area_level": level,
                           "area_code": code, "value": value, "respondents": respondents,
                           "ci_low": low, "ci_high": high}

    writer.insert(Result.__table__, rows())


def _protect_results() -> None:
    """The withheld figures, stored as the importer leaves them (the rows were written
    past the session, so its hook did not see them)."""
    protection.refresh()
    db.session.commit()


def _boundaries(world: _World) -> None:
    """A shape for every wijk (cells around points in a circle of 12 km, in RD New, with
    wobbly edges of about 70 points each), through the boundaries importer, so the maps are
    as heavy as a real city's."""
    import shapely  # only the benchmark's map pages need it here

    from panel.areas.boundaries_importer import BoundariesImporter

    rng = random.Random(7)  # noqa: S311 (synthetic shapes)
    centre_x, centre_y, radius = 112000.0, 517000.0, 6000.0
    points: list[tuple[float, float]] = []
    while len(points) < len(world.wijken):
        x, y = rng.uniform(-1, 1), rng.uniform(-1, 1)
        if x * x + y * y <= 1:
            points.append((centre_x + x * radius, centre_y + y * radius))
    outline = shapely.Point(centre_x, centre_y).buffer(radius * 1.02, 64)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(points),
                                                       extend_to=outline))
    features = []
    for (_wijk_id, code, _area), point in zip(world.wijken, points, strict=True):
        cell = next(c for c in cells if c.contains(shapely.Point(point)))
        ring = list(shapely.segmentize(cell.intersection(outline), 120).exterior.coords)
        wobbly = [[round(x + (hash((round(x), round(y))) % 61 - 30)),
                   round(y + (hash((round(y), round(x))) % 61 - 30))] for x, y in ring]
        wobbly[-1] = wobbly[0]
        features.append({"type": "Feature", "properties": {"wijkcode": code},
                         "geometry": {"type": "Polygon", "coordinates": [wobbly]}})
    data = json.dumps({"type": "FeatureCollection", "features": features, "crs": {
        "type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}}).encode()
    report = BoundariesImporter(None).run(data, "wijken.geojson")
    assert report.applied, report.file_errors  # noqa: S101 (the generator's own data)
    db.session.commit()


def _motions(writer: _Writer, rng: random.Random, sizes: Sizes, world: _World,
             summary: Summary) -> None:
    """Motions scoped to the municipality, a gebied, some wijken or two gebieden, each with
    requests and one draft follow-up report over the last year."""
    motions, requests, reports = [], [], []
    areas, wijken, themes = [], [], []
    today = world.now.date()
    for index in range(sizes.motions):
        motion_id = index + 1
        adopted = today - timedelta(days=rng.randint(200, 1500))
        reference = f"M{adopted.year}-{motion_id:03d}"
        motions.append({
            "id": motion_id, "reference": reference,
            "title": f"Motie {motion_id}: inwoners betrekken bij veiligheid",
            "adopted_on": adopted, "ori_id": "",
            "text": "De raad verzoekt het college om inwoners te betrekken bij veiligheid.",
            "created_at": world.now, "updated_at": world.now})
        kind = index % 4
        area_choice = world.area_ids[index % len(world.area_ids)]
        if kind == 1 or index == 0:
            areas.append({"motion_id": motion_id, "area_id": area_choice})
        elif kind == 2:
            for wijk_id, _c, _a in rng.sample(world.wijken, 3):
                wijken.append({"motion_id": motion_id, "neighbourhood_id": wijk_id})
        elif kind == 3:
            for area_id in rng.sample(world.area_ids, 2):
                areas.append({"motion_id": motion_id, "area_id": area_id})
        for theme_id in rng.sample(world.theme_ids, 3):
            themes.append({"motion_id": motion_id, "theme_id": theme_id})
        for position in range(rng.randint(2, 4)):
            status = rng.choice(["open", "completed", "completed", "dropped"])
            deadline = adopted + timedelta(days=rng.randint(60, 500))
            requests.append({
                "id": len(requests) + 1, "motion_id": motion_id, "position": position,
                "text": f"Verzoek {position + 1}: betrek inwoners per wijk.",
                "deadline": deadline, "status": status,
                "completed_on": deadline - timedelta(days=10) if status == "completed" else None})
        reports.append({
            "id": motion_id, "motion_id": motion_id, "version": 1,
            "period_start": today - timedelta(days=365), "period_end": today, "status": "draft",
            "narrative": json.dumps([{"title": "Kernboodschap", "body": "Er zijn wijkpanels."}]),
            "snapshot": "", "created_by_id": world.admin_id, "created_at": world.now,
            "finalised_at": None, "finalised_by_id": None})
    writer.insert(Motion.__table__, motions)
    writer.insert(MotionRequest.__table__, requests)
    writer.insert(FollowUpReport.__table__, reports)
    writer.insert(motion_area, areas)
    writer.insert(motion_neighbourhood, wijken)
    writer.insert(motion_theme, themes)
    # The page benchmarks use the first motion: scoped to one gebied, like most motions a
    # team works on. Its wijk and team account are used for the other pages too.
    first_area = areas[0]["area_id"]
    wijk = next(w for w in world.wijken if w[2] == first_area)
    summary.area_code = world.area_codes[first_area - 1]
    summary.wijk_code = wijk[1]
    summary.team_email = f"team-{summary.area_code}@bench.example"
    summary.report_id = 1
    summary.motion_reference = motions[0]["reference"]


def _move_sequences(connection: Connection) -> None:
    """PostgreSQL: move every id sequence past the ids written explicitly."""
    for table in db.metadata.sorted_tables:
        if ("id" not in table.c or not table.c.id.primary_key
                or table.c.id.type.python_type is not int):
            continue  # no id, or one that is not counted (a random string)
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 # nosec B608
            f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))


def _finalise_reports(summary: Summary, world: _World) -> None:
    """Make one or two reports final through the real service (it builds the snapshot)."""
    from panel.motions import services as motion_services

    admin = db.session.get(User, world.admin_id)
    candidates = list(db.session.scalars(
        select(FollowUpReport.id).join(Motion).join(motion_area)
        .group_by(FollowUpReport.id).having(func.count() == 1)
        .order_by(FollowUpReport.id)))
    finals = [c for c in candidates if c != summary.report_id][:2]
    for report_id in finals:
        motion_services.finalise(admin, report_id)
    db.session.commit()
    summary.final_report_id = finals[0] if finals else 0
    if finals:
        final = db.session.get(FollowUpReport, finals[0])
        assert final is not None  # noqa: S101 (made just above)
        summary.final_reference, summary.final_version = final.motion.reference, final.version


def _upcoming_meeting(area_code: str, now: datetime) -> int:
    """The open meeting of the gebied that starts next (a few start within 48 hours)."""
    return db.session.scalar(
        select(Meeting.id).join(Area, Meeting.area_id == Area.id)
        .where(Area.code == area_code, Meeting.status == "open", Meeting.starts_at > now)
        .order_by(Meeting.starts_at, Meeting.id).limit(1)) or 0


# --- command line -------------------------------------------------------------------------

def bench_app(url: str, instance: Path | None = None) -> Flask:
    """The application on ``url``, as the benchmark uses it in-process."""
    instance = instance or WORK_DIR / "instance"
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                       "PANEL_BASE_URL": "http://127.0.0.1"}, instance_path=instance)


def generate(url: str, scale: float, seed: int = DEFAULT_SEED, *,
             log: Callable[[str], None] | None = None) -> Summary:
    """Migrate the (empty) database at ``url`` and fill it at ``scale``."""
    app = bench_app(url)
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count(Municipality.id))):
            raise SystemExit(f"{url} is not empty; the benchmark needs an empty database")
        summary = populate(scale, seed, log=log)
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does shortly after a bulk load (since PostgreSQL 13 also for
            # tables that only had inserts): statistics, and the visibility map that lets
            # an index answer a count alone. SQLite gets no statistics, as in a real
            # installation (the app never runs ANALYZE).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        db.session.remove()
        db.engine.dispose()
    return summary


def respondents_csv(url: str, count: int, seed: int = DEFAULT_SEED) -> bytes:
    """A research bureau's export of ``count`` survey respondents for the wijken and
    postcodes in ``url``'s database: mostly new people who said yes, some who said no, some
    already known (updated or unchanged) and a few wrong lines. Semicolons, UTF-8."""
    rng = random.Random(seed + 1)  # noqa: S311
    app = bench_app(url)
    with app.app_context():
        postcodes = list(db.session.execute(
            select(Postcode.postcode, Neighbourhood.code)
            .join(District, Postcode.district_id == District.id)
            .join(Neighbourhood, District.neighbourhood_id == Neighbourhood.id)
            .order_by(Postcode.postcode)).tuples())
        known = list(db.session.execute(
            select(PanelMember.respondent_id, PanelMember.email, PanelMember.postcode)
            .where(PanelMember.respondent_id.is_not(None), PanelMember.status == "invited")
            .order_by(PanelMember.id).limit(max(1, count // 50))).tuples())
        db.engine.dispose()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["respondentnummer", "naam", "e-mailadres", "telefoon", "postcode",
                     "huisnummer", "wijkpanel"])
    for number in range(1, count + 1):
        if known and number % 50 == 0:
            respondent, email, postcode = known[(number // 50 - 1) % len(known)]
            writer.writerow([respondent, "Bekende Bewoner", email or "", "", postcode,
                             str(rng.randint(1, 99)), "ja"])
            continue
        postcode, _wijk = rng.choice(postcodes)
        answer = "ja" if rng.random() < 0.85 else "nee"
        email = f"respondent{number}@import.example" if rng.random() < 0.9 else ""
        phone = "" if email else f"06{number:08d}"
        if number % 997 == 0:
            email = "geen-geldig-adres"
        writer.writerow([f"IMP-{number:07d}", f"{rng.choice(FIRST_NAMES)} "
                         f"{rng.choice(LAST_NAMES)}", email, phone, postcode,
                         str(rng.randint(1, 180)), answer])
    return out.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of an empty database")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    summary = generate(args.url, args.scale, args.seed, log=lambda m: print(m, flush=True))
    print(json.dumps(summary.as_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["ADMIN_EMAIL", "CLERK_EMAIL", "PASSWORD", "SECRET_KEY", "Sizes", "Summary",
           "bench_app", "generate", "populate", "respondents_csv"]
