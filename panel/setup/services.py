"""The setup checklist: each step before residents can join, done or still to do.

Whatever the size of the data, the checklist costs a fixed number of statements: one for
the counts (with the version of the latest consent statement), one for the gebieden
without a team and the three of :func:`panel.mail.services.mail_state`. Both are built
once (building a statement costs SQLAlchemy more than running these).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from flask_babel import format_datetime, format_decimal
from sqlalchemy import Select, func, select

from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.auth.models import User
from panel.auth.permissions import may_administer, require, staffed_area_ids
from panel.db import flushed_connection
from panel.i18n import Catalogue
from panel.mail import services as mail_services
from panel.results.models import Indicator
from panel.signups.models import ConsentStatement, Postcode


@dataclass(frozen=True)
class Step:
    """One step: ``text`` is a short fact when it is done (``12 wijken in 4 gebieden``),
    otherwise what to do; ``endpoint`` is the page where it is done, ``action`` the link's
    text on a step still to do."""

    key: str
    title: str
    done: bool
    text: str
    endpoint: str
    action: str


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]

    @property
    def remaining(self) -> int:
        return sum(1 for step in self.steps if not step.done)

    @property
    def done(self) -> bool:
        return self.remaining == 0


@dataclass(frozen=True)
class _Counts:
    municipality_code: str | None
    municipality_name: str | None
    areas: int
    neighbourhoods: int
    districts: int
    postcodes: int
    indicators: int
    statement_version: str | None  # of the consent statement residents agree to now


@cache
def _counts_statement() -> Select[Any]:
    """Everything the checklist counts, in one statement; the latest consent statement as
    ``signups.services.latest_statement`` finds it."""
    municipality = select(Municipality).order_by(Municipality.id).limit(1).subquery()
    return select(
        select(municipality.c.code).scalar_subquery(),
        select(municipality.c.name).scalar_subquery(),
        select(func.count(Area.id)).scalar_subquery(),
        select(func.count(Neighbourhood.id)).scalar_subquery(),
        select(func.count(District.id)).scalar_subquery(),
        select(func.count(Postcode.id)).scalar_subquery(),
        select(func.count(Indicator.id)).where(Indicator.retired_at.is_(None))
        .scalar_subquery(),
        select(ConsentStatement.version)
        .order_by(ConsentStatement.published_at.desc(), ConsentStatement.id.desc()).limit(1)
        .scalar_subquery())


@cache
def _without_team_statement() -> Select[Any]:
    return select(Area.name).where(Area.id.not_in(staffed_area_ids())).order_by(Area.name)



def _counts() -> _Counts:
    """Everything the checklist counts, in one statement."""
    return _Counts(*flushed_connection().execute(_counts_statement()).one())


def areas_without_team() -> list[str]:
    """The names of the gebieden without an active area team member."""
    return list(flushed_connection().execute(_without_team_statement()).scalars())


def checklist(user: User) -> Checklist:
    """What is done and what is still missing before residents can join, in the order it
    is best done. Administrators only (PermissionDenied otherwise). Worked out for every
    request: an administrator who just did a step sees it done, whichever worker answers.
    """
    require(may_administer(user))
    counts = _counts()
    without_team = areas_without_team() if counts.areas else []
    words = Catalogue()
    return Checklist(steps=[
        _municipality(counts, words), _areas(counts, words), _postcodes(counts, words),
        _statement(counts.statement_version, words), _indicators(counts, words),
        _teams(counts, without_team, words), _mail(mail_services.mail_state(), words),
    ])


# Each step is written in the words of ``Catalogue`` (``_`` and ``ngettext``, the names
# the extraction of the strings knows).


def _municipality(counts: _Counts, words: Catalogue) -> Step:
    _ = words.gettext
    done = bool(counts.municipality_code and counts.municipality_name)
    return Step("municipality", _("Municipality"), done,
                f"{counts.municipality_code} {counts.municipality_name}" if done else
                _("Fill in the CBS code and the name of the municipality, for example GM0361 "
                  "and Alkmaar."),
                "areas.municipality", _("Set the municipality"))


def _areas(counts: _Counts, words: Catalogue) -> Step:
    _, ngettext = words.gettext, words.ngettext
    done = counts.areas > 0 and counts.neighbourhoods > 0
    if done:
        text = _("%(wijken)s in %(gebieden)s", wijken=ngettext(
            "%(num)s wijk", "%(num)s wijken", counts.neighbourhoods),
            gebieden=ngettext("%(num)s gebied", "%(num)s gebieden", counts.areas))
    elif counts.areas:
        text = _("There are gebieden, but no wijken yet. Add the wijken and buurten of each "
                 "gebied, or load them from a file.")
    else:
        text = _("Add the gebieden with their wijken and buurten. The easiest way is to load "
                 "them from a file.")
    return Step("areas", _("Gebieden and wijken"), done, text,
                "areas.index" if done else "areas.upload",
                _("Load the areas from a file"))


def _postcodes(counts: _Counts, words: Catalogue) -> Step:
    _, ngettext = words.gettext, words.ngettext
    done = counts.postcodes > 0
    if done:
        text = ngettext("%(count)s postcode", "%(count)s postcodes", counts.postcodes,
                        count=format_decimal(counts.postcodes))
    elif not counts.districts:
        text = _("First load the buurten (with the gebieden and wijken). Then load the "
                 "postcode table, for example the file from CBS with postcodes and buurten.")
    else:
        text = _("Load the postcode table, for example the file from CBS with postcodes and "
                 "buurten. Then the website knows in which wijk a resident lives.")
    return Step("postcodes", _("Postcode table"), done, text, "signups.postcodes",
                _("Load the postcode table"))


def _statement(version: str | None, words: Catalogue) -> Step:
    _ = words.gettext
    return Step("statement", _("Consent statement"), version is not None,
                _("Version %(version)s", version=version) if version is not None else
                _("Publish the text residents agree to when they join. Until then, nobody "
                  "can join."),
                "signups.statement", _("Publish the consent statement"))


def _indicators(counts: _Counts, words: Catalogue) -> Step:
    _, ngettext = words.gettext, words.ngettext
    done = counts.indicators > 0
    return Step("indicators", _("Indicators"), done,
                ngettext("%(num)s indicator in use", "%(num)s indicators in use",
                         counts.indicators) if done else
                _("Load the indicators of the survey, for example the standard set of the "
                  "Veiligheidsmonitor. Then you can load the results."),
                "results.indicators", _("Load the indicators"))


def _teams(counts: _Counts, without_team: list[str], words: Catalogue) -> Step:
    _, ngettext = words.gettext, words.ngettext
    done = counts.areas > 0 and not without_team
    if done:
        text = _("Every gebied has a team member.")
    elif not counts.areas:
        text = _("First add the gebieden. Then make an account for at least one team member "
                 "of each gebied.")
    else:
        text = ngettext(
            "This gebied has no team member yet: %(names)s. Make an account for at least one "
            "team member.",
            "These gebieden have no team member yet: %(names)s. Make an account for at least "
            "one team member of each.", len(without_team), names=", ".join(without_team))
    return Step("teams", _("A team for each gebied"), done, text, "auth.users",
                _("Make team accounts"))


def _mail(state: mail_services.MailState, words: Catalogue) -> Step:
    _ = words.gettext
    if state.works:
        text = _("Checked on %(date)s.", date=format_datetime(state.checked_at, "short"))
    elif state.ok is None:
        text = _("Not checked yet. Send a test message to check that mail works.")
    elif state.ok is False:
        text = _("The last check failed. %(reason)s Then send a test message again.",
                 reason=state.reason)
    else:
        text = _("Messages are waiting. %(reason)s", reason=state.held_up_reason)
    return Step("mail", _("Mail"), state.works, text, "mail.outbox",
                _("Check the mail"))
