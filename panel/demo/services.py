"""Loading the demo municipality into an empty database.

The areas are modelled on Alkmaar (five gebieden, with the pilot wijken De Mare and
Overdie), but the CBS codes after the municipality number, the buurten, their shapes
(``boundaries.geojson``: RD New, loaded with the same importer as CBS's wijk- en
buurtkaart) and every account are made up.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from panel.areas.boundaries_importer import BoundariesImporter
from panel.areas.logo import clean_logo
from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.auth.models import Role, User
from panel.db import db, utcnow
from panel.errors import DomainError
from panel.feedback.models import (
    Action,
    ActionStatus,
    ActionUpdate,
    FeedbackItem,
    ItemStatus,
    Review,
    Theme,
)
from panel.feedback.models import Source as FeedbackSource
from panel.feedback.personal_data import looks_personal
from panel.meetings.models import Invitation, Meeting, MeetingStatus, Reply, ReplyStatus
from panel.meetings.times import to_local, to_utc
from panel.motions.models import FollowUpReport, Motion, MotionRequest, RequestStatus
from panel.results.models import Edition, Indicator, Result
from panel.security import new_token
from panel.signups.models import (
    Consent,
    ConsentChannel,
    ConsentStatement,
    MemberStatus,
    PanelMember,
    Postcode,
    Source,
)

DEMO_BOUNDARIES = Path(__file__).with_name("boundaries.geojson")
DEMO_LOGO = Path(__file__).with_name("logo.svg")  # a made-up emblem, no real coat of arms
DEMO_PASSWORD = "demo-wijkpanel-2026"  # noqa: S105 (published on purpose: demo only)
CBS_YEAR = 2023

# gebied code, gebied name, [(wijk number, wijk name, [buurt names])]
DEMO_AREAS = [
    ("centrum", "Centrum", [
        ("00", "Binnenstad", ["Kern", "Singelzone"]),
        ("05", "Schermereiland", ["Schermereiland-Noord", "Schermereiland-Zuid"]),
    ]),
    ("noord", "Noord", [
        ("01", "De Mare", ["De Mare-Noord", "De Mare-Zuid", "Sportpark"]),
        ("06", "Daalmeer", ["Daalmeer-Oost", "Daalmeer-West"]),
    ]),
    ("west", "West", [
        ("02", "Overdie", ["Oud Overdie", "Nieuw Overdie"]),
        ("07", "Bergerhof", ["Bergerhof", "Hoefplan"]),
    ]),
    ("oost", "Oost", [
        ("03", "Huiswaard", ["Huiswaard 1", "Huiswaard 2"]),
        ("08", "Oudorp", ["Oudorp-Dorp", "Oudorp-Polder"]),
    ]),
    ("zuid", "Zuid", [
        ("04", "Vroonermeer", ["Vroonermeer-Noord", "Vroonermeer-Zuid"]),
        ("09", "Koedijk", ["Koedijk-Dorp", "Koedijk-Polder"]),
    ]),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: Role
    name: str
    areas: tuple[str, ...] = ()


DEMO_ACCOUNTS = [
    DemoAccount("beheer@demo.example", Role.ADMIN, "Beheerder Demo"),
    DemoAccount("griffie@demo.example", Role.CLERK, "Griffie Demo"),
    *[DemoAccount(f"team-{code}@demo.example", Role.TEAM, f"Gebiedsteam {name}", (code,))
      for code, name, _ in DEMO_AREAS],
]


STATEMENT_VERSION = "2026-1"
STATEMENT_NL = """Wij gebruiken uw gegevens alleen voor het wijkpanel.
Wij nodigen u uit voor bijeenkomsten over veiligheid in uw wijk.
Wij sturen u nieuws over wat er met uw ideeën gebeurt.
Uw naam en adres komen nooit in verslagen aan de gemeenteraad.
U kunt altijd stoppen. Dan wissen wij uw gegevens."""
STATEMENT_EN = """We only use your data for the wijkpanel.
We invite you to meetings about safety in your wijk.
We send you news about what happens with your ideas.
Your name and address never appear in reports to the council.
You can stop at any time. We then erase your data."""
FIRST_NAMES = ["Anna", "Bram", "Chantal", "Daan", "Esra", "Fleur", "Gerrit", "Hatice", "Ingrid",
               "Joost", "Karim", "Lotte", "Mohamed", "Noor", "Oscar", "Petra", "Ruud", "Saskia",
               "Tim", "Yara"]
LAST_NAMES = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Yilmaz", "Meijer", "de Boer",
              "Mulder", "El Amrani", "Bos", "Vos", "Peters", "Hendriks", "Dekker"]
DEMO_MEMBERS = 127  # as many as said yes in the 2023 survey of the source documents


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count(Municipality.id))) and \
        not db.session.scalar(select(func.count(User.id)))


def seed_demo() -> Municipality:
    """Load the demo municipality, its areas and the demo staff accounts.

    Raises DomainError when the database already holds a municipality or accounts.
    """
    if not database_is_empty():
        raise DomainError(_l("The database is not empty; the demo was not loaded."))
    municipality = Municipality(code="GM0361", name="Alkmaar (demo)", is_demo=True)
    logo = clean_logo(DEMO_LOGO.read_bytes(), DEMO_LOGO.name)
    municipality.logo, municipality.logo_type, municipality.logo_hash = (
        logo.data, logo.content_type, logo.sha256)
    db.session.add(municipality)
    areas: dict[str, Area] = {}
    for code, name, wijken in DEMO_AREAS:
        area = Area(code=code, name=name)
        areas[code] = area
        db.session.add(area)
        for number, wijk_name, buurten in wijken:
            wijk = Neighbourhood(code=f"WK0361{number}", name=wijk_name, cbs_year=CBS_YEAR,
                                 area=area)
            db.session.add(wijk)
            for index, buurt_name in enumerate(buurten, start=1):
                db.session.add(District(code=f"BU0361{number}{index:02d}", name=buurt_name,
                                        cbs_year=CBS_YEAR, neighbourhood=wijk))
    db.session.flush()
    _seed_boundaries()
    statement = ConsentStatement(version=STATEMENT_VERSION, text_nl=STATEMENT_NL,
                                 text_en=STATEMENT_EN)
    db.session.add(statement)
    _seed_postcodes_and_members(statement)
    password_hash = generate_password_hash(DEMO_PASSWORD)
    users = []
    for account in DEMO_ACCOUNTS:
        user = User(email=account.email, name=account.name, role=account.role.value,
                    password_hash=password_hash, areas=[areas[c] for c in account.areas])
        users.append(user)
        db.session.add(user)
    db.session.flush()
    _seed_meetings(list(areas.values()))
    _seed_results(municipality, list(areas.values()))
    _seed_feedback(list(areas.values()))
    db.session.flush()
    _seed_motion(list(areas.values()))
    db.session.flush()
    return municipality


def _seed_boundaries() -> None:
    """The made-up shapes of the demo wijken and buurten, through the importer."""
    report = BoundariesImporter(None).run(DEMO_BOUNDARIES.read_bytes(), DEMO_BOUNDARIES.name)
    if not report.applied or any(line.status not in ("new", "unchanged")
                                 for line in report.lines):
        raise RuntimeError(f"the demo shapes do not fit the demo areas: {report}")


def _seed_postcodes_and_members(statement: ConsentStatement) -> None:
    """Synthetic postcodes (three per buurt) and residents spread over the wijken."""
    db.session.flush()
    districts = list(db.session.scalars(select(District).order_by(District.code)))
    postcodes: list[Postcode] = []
    for index, district in enumerate(districts):
        for offset, letters in enumerate(("AA", "AB", "AC")):
            postcodes.append(Postcode(postcode=f"18{index + 10:02d}{letters}",
                                      street=f"{district.name}straat"
                                      if offset == 0 else f"{district.name}laan",
                                      city="Alkmaar", district=district))
    db.session.add_all(postcodes)
    now = utcnow()
    for number in range(DEMO_MEMBERS):
        entry = postcodes[number % len(postcodes)]
        first, last = FIRST_NAMES[number % len(FIRST_NAMES)], LAST_NAMES[number % len(LAST_NAMES)]
        has_email = number % 9 != 4
        status = MemberStatus.INVITED if number % 5 == 3 else MemberStatus.MEMBER
        member = PanelMember(
            neighbourhood=entry.district.neighbourhood, status=status.value,
            source=(Source.SURVEY if number % 4 else Source.ONLINE).value,
            respondent_id=f"VM2023-{number + 1:04d}" if number % 4 else None,
            name=f"{first} {last}",
            email=f"{first.lower()}.{number + 1}@demo.example" if has_email else None,
            phone="" if has_email else f"072 5{number:02d} 00 {number % 100:02d}",
            postcode=entry.postcode, house_number=str(number % 80 + 1), street=entry.street,
            city=entry.city, language="en" if number % 11 == 0 else "nl",
            confirmed_at=now if status == MemberStatus.MEMBER else None,
            # a few residents without email asked to be called
            call_requested_at=now - timedelta(hours=number) if number % 27 == 4 else None)
        db.session.add(member)
        if status == MemberStatus.MEMBER:
            db.session.add(Consent(member=member, statement=statement, given_at=now,
                                   channel=(ConsentChannel.SURVEY if member.source == "survey"
                                            else ConsentChannel.ONLINE).value))


# (gebied code, title, days from today, venue) — eight meetings over five gebieden, as in
# the source documents; the first three already took place.
DEMO_MEETINGS = [
    ("noord", "Wijkpanel De Mare: eerste bijeenkomst", -45, "Buurthuis De Mare"),
    ("west", "Wijkpanel Overdie: eerste bijeenkomst", -38, "Wijkcentrum Overdie"),
    ("centrum", "Wijkpanel Binnenstad", -20, "Stadskantoor, zaal 2"),
    ("noord", "Wijkpanel De Mare: wat hebben we gedaan?", 12, "Buurthuis De Mare"),
    ("west", "Wijkpanel Overdie: jeugd en verkeer", 16, "Wijkcentrum Overdie"),
    ("oost", "Wijkpanel Oost", 21, "Buurtcentrum Huiswaard"),
    ("zuid", "Wijkpanel Zuid", 26, "Wijkcentrum Vroonermeer"),
    ("centrum", "Wijkpanel Binnenstad: uitgaan en overlast", 33, "Stadskantoor, zaal 2"),
]


def _seed_meetings(areas: list[Area]) -> None:
    """Eight meetings with invitations and replies; past ones with attendance and a report."""
    by_code = {a.code: a for a in areas}
    today = to_local(utcnow()).date()
    for code, title, days, venue in DEMO_MEETINGS:
        area = by_code[code]
        day = today + timedelta(days=days)
        meeting = Meeting(
            area=area, title=title, kind="in_person", venue=venue,
            address=f"{venue.split(',')[0]}plein 1, Alkmaar", capacity=12,
            accessibility="U kunt er komen met een rolstoel. Er is een ringleiding.",
            description="Het gebiedsteam laat de cijfers over veiligheid in uw wijk zien.\n"
                        "Daarna praten we over wat u ziet in uw wijk.",
            agenda="Welkom en kennismaking met het gebiedsteam\n"
                   "Uitkomsten van de veiligheidsmonitor voor uw wijk\n"
                   "Wat vindt u belangrijk?\nAfspraken en hoe we u op de hoogte houden",
            starts_at=to_utc(day, time(19, 30)), ends_at=to_utc(day, time(21, 0)),
            status=MeetingStatus.OPEN.value, neighbourhoods=list(area.neighbourhoods))
        db.session.add(meeting)
        db.session.flush()
        members = list(db.session.scalars(
            select(PanelMember).where(
                PanelMember.status == MemberStatus.MEMBER.value,
                PanelMember.neighbourhood_id.in_([n.id for n in area.neighbourhoods]))
            .order_by(PanelMember.id)))
        past = days < 0
        for index, member in enumerate(members):
            _token, token_hash = new_token()
            db.session.add(Invitation(meeting_id=meeting.id, member_id=member.id,
                                      token_hash=token_hash,
                                      channel="email" if member.email else "letter"))
            if index % 3 == 2:
                continue  # no reply (yet)
            coming = index % 4 != 3
            status = ReplyStatus.DECLINED
            if coming and meeting.seats_taken < meeting.capacity:
                status = ReplyStatus.ATTENDING
                meeting.seats_taken += 1
            elif coming:
                status = ReplyStatus.WAITING
                meeting.waitlist_counter += 1
            db.session.add(Reply(
                meeting_id=meeting.id, member_id=member.id, status=status.value,
                replied_at=meeting.starts_at - timedelta(days=7, minutes=index),
                waiting_since=meeting.starts_at - timedelta(days=7, minutes=index)
                if status == ReplyStatus.WAITING else None,
                waiting_number=meeting.waitlist_counter
                if status == ReplyStatus.WAITING else None,
                attended=(index % 5 != 4) if past and status == ReplyStatus.ATTENDING
                else None))
        if past:
            meeting.extra_attendees = 2
            meeting.closed_at = meeting.ends_at
            meeting.report = ("Het gebiedsteam liet de cijfers van de wijk zien.\n"
                              "Bewoners noemden hardrijden, jongeren bij het winkelcentrum "
                              "en drugsoverlast bij het park.\n"
                              "Het team komt terug met acties.")


# The themes of the demo's indicators in English.
DEMO_THEMES_EN = {"Veiligheidsgevoel": "Feeling safe", "Leefbaarheid": "Liveability",
                  "Verkeer": "Traffic", "Jeugdoverlast": "Nuisance from young people",
                  "Drugs en ondermijning": "Drugs and organised crime"}
# code, Dutch name, English name, unit, higher is better, theme, municipality 2021, 2023
DEMO_INDICATORS = [
    ("onveilig_buurt", "Voelt zich wel eens onveilig in de eigen buurt",
     "Ever feels unsafe in their own neighbourhood", "percentage", False, "Veiligheidsgevoel",
     34.0, 32.0),
    ("cijfer_leefbaarheid", "Rapportcijfer voor de leefbaarheid van de buurt",
     "Report mark for the liveability of the neighbourhood", "mark", True, "Leefbaarheid",
     7.3, 7.6),
    ("cijfer_veiligheid", "Rapportcijfer voor de veiligheid van de buurt",
     "Report mark for the safety of the neighbourhood", "mark", True, "Veiligheidsgevoel",
     6.9, 7.0),
    ("overlast_hardrijden", "Ervaart overlast van te hard rijden",
     "Experiences nuisance from speeding", "percentage", False, "Verkeer", 41.0, 43.0),
    ("overlast_parkeren", "Ervaart overlast van parkeren",
     "Experiences nuisance from parking", "percentage", False, "Verkeer", 33.0, 35.0),
    ("overlast_jongeren", "Ervaart overlast van groepen jongeren",
     "Experiences nuisance from groups of young people", "percentage", False,
     "Jeugdoverlast", 17.0, 14.0),
    ("overlast_drugs", "Ervaart overlast van drugsgebruik of drugshandel",
     "Experiences nuisance from drug use or dealing", "percentage", False,
     "Drugs en ondermijning", 12.0, 15.0),
    ("overlast_buren", "Ervaart overlast van buren",
     "Experiences nuisance from neighbours", "percentage", False, "Leefbaarheid", 9.0, 10.0),
]
DEMO_EXPLANATIONS = {
    "percentage": ("Het deel van de inwoners dat dit zegt, in procenten.",
                   "The share of residents who say so, as a percentage."),
    "mark": ("Het gemiddelde rapportcijfer, van 1 tot 10.",
             "The average report mark, from 1 to 10."),
}
DEMO_SMALL_WIJK = "WK036109"  # Koedijk: too few respondents, so its figures stay hidden


def _interval(unit: str, value: float, respondents: int) -> tuple[float, float]:
    if unit == "percentage":
        p = value / 100
        half = 1.96 * math.sqrt(max(p * (1 - p), 0.0025) / respondents) * 100
        return round(max(0.0, value - half), 1), round(min(100.0, value + half), 1)
    half = 1.96 * 1.3 / math.sqrt(respondents)
    return round(max(1.0, value - half), 1), round(min(10.0, value + half), 1)


def _seed_results(municipality: Municipality, areas: list[Area]) -> None:
    """Two published editions (2021, 2023) and a 2025 edition still unpublished."""
    indicators = []
    for position, (code, name_nl, name_en, unit, better, theme, _a, _b) in \
            enumerate(DEMO_INDICATORS):
        indicator = Indicator(code=code, name_nl=name_nl, name_en=name_en, unit=unit,
                              higher_is_better=better, theme=theme,
                              theme_en=DEMO_THEMES_EN.get(theme, ""), position=position,
                              explanation_nl=DEMO_EXPLANATIONS[unit][0],
                              explanation_en=DEMO_EXPLANATIONS[unit][1])
        indicators.append(indicator)
        db.session.add(indicator)
    editions = {year: Edition(year=year, published=year < 2025,
                              published_at=utcnow() if year < 2025 else None)
                for year in (2021, 2023, 2025)}
    db.session.add_all(editions.values())
    db.session.flush()
    wijken = [n for area in areas for n in area.neighbourhoods]
    for year, edition in editions.items():
        for indicator, spec in zip(indicators, DEMO_INDICATORS, strict=True):
            base = spec[6] if year == 2021 else spec[7]
            if year == 2025:
                base = spec[7] + (1.0 if indicator.unit == "percentage" else 0.1)
            _add_result(edition, indicator, "municipality", municipality.code, base, 2400)
            for area in areas:  # the bureau also reports per gebied
                rng = random.Random(f"{area.code}-{indicator.code}-{year}")  # noqa: S311
                spread = 4.0 if indicator.unit == "percentage" else 0.3
                _add_result(edition, indicator, "area", area.code,
                            base + rng.uniform(-spread, spread), rng.randint(400, 700))
            for wijk in wijken:
                rng = random.Random(f"{wijk.code}-{indicator.code}-{year}")  # noqa: S311
                spread = 9.0 if indicator.unit == "percentage" else 0.6
                value = base + rng.uniform(-spread, spread)
                respondents = 18 if wijk.code == DEMO_SMALL_WIJK else rng.randint(60, 240)
                _add_result(edition, indicator, "neighbourhood", wijk.code, value, respondents)


def _add_result(edition: Edition, indicator: Indicator, level: str, code: str, value: float,
                respondents: int) -> None:
    if indicator.unit == "percentage":
        value = round(min(100.0, max(0.0, value)), 1)
    else:
        value = round(min(10.0, max(1.0, value)), 1)
    low, high = _interval(indicator.unit, value, respondents)
    db.session.add(Result(edition_id=edition.id, indicator_id=indicator.id, area_level=level,
                          area_code=code, value=value, respondents=respondents, ci_low=low,
                          ci_high=high))


# The themes of the safety policies in the source documents.
DEMO_THEMES = [
    ("drugs", "Drugs en ondermijnende criminaliteit", "Drugs and undermining crime"),
    ("jeugd", "Jeugdoverlast", "Youth nuisance"),
    ("verkeer", "Verkeer: hard rijden en parkeren", "Traffic: speeding and parking"),
    ("cyber", "Cybercrime en online oplichting", "Cybercrime and online fraud"),
    ("straatintimidatie", "Straatintimidatie", "Street harassment"),
    ("onbegrepen_gedrag", "Personen met onbegrepen gedrag", "People with confused behaviour"),
    ("inbraak", "Inbraak en diefstal", "Burglary and theft"),
    ("leefbaarheid", "Leefbaarheid: schoon, heel en veilig", "Liveability: clean, whole, safe"),
]
# theme, wijk name, place, words, checked (published) words or None
DEMO_FEEDBACK = [
    ("verkeer", "De Mare", "Marelaan bij de school",
     "Er wordt 's ochtends veel te hard gereden bij de school.",
     "Er wordt 's ochtends veel te hard gereden bij de school."),
    ("jeugd", "De Mare", "bij het winkelcentrum",
     "Groepen jongeren hangen 's avonds rond en er wordt geschreeuwd.",
     "Groepen jongeren hangen 's avonds rond bij het winkelcentrum."),
    ("drugs", "Overdie", "achter de sporthal",
     "Er wordt gedeald achter de sporthal, vooral in het weekend.", None),
    ("leefbaarheid", "Overdie", "speeltuin", "De verlichting bij de speeltuin is kapot.",
     "De verlichting bij de speeltuin is kapot."),
    ("drugs", "De Mare", "", "Meneer Bakker op nummer 12 verkoopt volgens mij drugs.", None),
]


def _seed_feedback(areas: list[Area]) -> None:
    """Themes, some feedback (one flagged for personal data) and two actions."""
    themes = {}
    for position, (code, name_nl, name_en) in enumerate(DEMO_THEMES):
        themes[code] = Theme(code=code, name_nl=name_nl, name_en=name_en, position=position)
        db.session.add(themes[code])
    wijken = {n.name: n for area in areas for n in area.neighbourhoods}
    items = []
    for theme, wijk, place, words, checked in DEMO_FEEDBACK:
        item = FeedbackItem(neighbourhood=wijken[wijk], theme=themes[theme], place=place,
                            text=words, source=FeedbackSource.RESIDENT.value,
                            flagged=looks_personal(words),
                            review=(Review.APPROVED if checked else Review.PENDING).value,
                            public_text=checked or "")
        items.append(item)
        db.session.add(item)
    db.session.flush()
    speeding = Action(area=wijken["De Mare"].area, title="Snelheidscontroles bij de school",
                      description="De politie controleert vier weken lang 's ochtends.",
                      owner="Politie en gebiedsteam Noord",
                      status=ActionStatus.IN_PROGRESS.value, progress=50,
                      due_date=(utcnow() + timedelta(days=30)).date(), items=[items[0]])
    speeding.updates.append(ActionUpdate(status_to=ActionStatus.PLANNED.value))
    speeding.updates.append(ActionUpdate(status_from=ActionStatus.PLANNED.value,
                                         status_to=ActionStatus.IN_PROGRESS.value, progress=50,
                                         note="De eerste controles zijn gedaan."))
    light = Action(area=wijken["Overdie"].area, title="Verlichting speeltuin repareren",
                   owner="Gemeente, beheer openbare ruimte", status=ActionStatus.DONE.value,
                   progress=100, items=[items[3]])
    light.updates.append(ActionUpdate(status_to=ActionStatus.DONE.value, progress=100,
                                      note="Gerepareerd."))
    items[0].status = ItemStatus.HANDLING.value
    items[3].status = ItemStatus.DONE.value
    db.session.add_all([speeding, light])


def _seed_motion(areas: list[Area]) -> None:
    """The motion of the source documents, with its three requests and a draft report."""
    wijken = {n.name: n for area in areas for n in area.neighbourhoods}
    motion = Motion(
        reference="M2023-003", title="Betrekken inwoners bij veiligheid",
        adopted_on=date(2023, 1, 26),
        text="De raad verzoekt het college om inwoners meer en beter, fysiek en digitaal, te "
             "betrekken bij het verbeteren van de veiligheid en het veiligheidsgevoel, door in "
             "de wijken te inventariseren waar inwoners veiligheidsproblemen ervaren.",
        neighbourhoods=[wijken["De Mare"], wijken["Overdie"]],
        themes=list(db.session.scalars(select(Theme).order_by(Theme.position))))
    motion.requests = [
        MotionRequest(position=0, text="Inventariseer per wijk waar inwoners "
                      "veiligheidsproblemen ervaren; begin in De Mare en Overdie.",
                      deadline=date(2023, 9, 30), status=RequestStatus.COMPLETED.value,
                      completed_on=date(2023, 9, 15)),
        MotionRequest(position=1, text="Onderneem actie op basis van de uitkomsten.",
                      deadline=date(2023, 12, 31), status=RequestStatus.OPEN.value),
        MotionRequest(position=2, text="Koppel uiterlijk september 2023 terug welke acties "
                      "zijn ondernomen.", deadline=date(2023, 9, 30),
                      status=RequestStatus.COMPLETED.value,
                      completed_on=date(2023, 10, 12)),
    ]
    today = to_local(utcnow()).date()
    motion.reports = [FollowUpReport(
        version=1, period_start=today - timedelta(days=120), period_end=today,
        narrative=json.dumps([{
            "title": "Kernboodschap",
            "body": "In De Mare en Overdie zijn wijkpanels gestart. Bewoners noemden vooral "
                    "hard rijden, jongeren bij het winkelcentrum en drugsoverlast.",
        }], ensure_ascii=False))]
    db.session.add(motion)
