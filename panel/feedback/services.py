"""Feedback from residents, what the area team does with it, and showing it back.

Words residents write are never published until a team member has checked them (and may
have edited them); text that looks like it names or identifies someone is flagged for that
check. The public page shows counts, checked quotes and actions — never names.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from panel.areas.models import Area, District, Neighbourhood
from panel.auth.models import User
from panel.auth.permissions import (
    managed_area,
    may_administer,
    may_manage_feedback,
    require,
    require_manages,
    require_staff,
    visible_areas,
)
from panel.db import db, utcnow
from panel.disclosure import protect
from panel.errors import DomainError, NotFound
from panel.feedback.labels import ACTION_STATUS_LABELS, personal_data_names
from panel.feedback.models import (
    Action,
    ActionStatus,
    ActionUpdate,
    Evaluation,
    FeedbackItem,
    ItemStatus,
    Notification,
    Review,
    Source,
    Theme,
    action_item,
)
from panel.feedback.personal_data import KINDS
from panel.feedback.personal_data import find as find_personal_data
from panel.meetings.models import Meeting, Reply
from panel.meetings.times import local_today
from panel.signups.models import MemberStatus, PanelMember
from panel.signups.services import send_member_mail
from panel.urls import absolute_url

MAX_TEXT = 4000
PARTNERS = ("police", "enforcement", "youth_work", "housing", "other")
# Which status an item may move to from which; a declined item needs a reason residents can
# read, an item passed on needs the partner.
TRANSITIONS = {
    ItemStatus.NEW: {ItemStatus.HANDLING, ItemStatus.PASSED_ON, ItemStatus.DONE,
                     ItemStatus.DECLINED},
    ItemStatus.HANDLING: {ItemStatus.PASSED_ON, ItemStatus.DONE, ItemStatus.DECLINED},
    ItemStatus.PASSED_ON: {ItemStatus.HANDLING, ItemStatus.DONE, ItemStatus.DECLINED},
    ItemStatus.DONE: {ItemStatus.HANDLING},
    ItemStatus.DECLINED: {ItemStatus.HANDLING},
}
OPEN_STATUSES = (ItemStatus.NEW.value, ItemStatus.HANDLING.value, ItemStatus.PASSED_ON.value)


# --- themes -------------------------------------------------------------------------------

def themes(include_inactive: bool = False) -> list[Theme]:
    query = select(Theme).order_by(Theme.position, Theme.name_nl)
    if not include_inactive:
        query = query.where(Theme.active.is_(True))
    return list(db.session.scalars(query))


def save_theme(user: User, code: str, name_nl: str, name_en: str, active: bool,
               theme: Theme | None = None) -> Theme:
    """Create or change a theme. Admin only. Raises DomainError."""
    require(may_administer(user))
    code = code.strip().lower()
    if not code or not name_nl.strip() or not name_en.strip():
        raise DomainError(_l("Fill in the code and both names."))
    clash = db.session.scalars(select(Theme).where(Theme.code == code)).first()
    if clash is not None and clash is not theme:
        raise DomainError(_l("There is already a theme with code %(code)s.", code=code))
    theme = theme or Theme(position=len(themes(True)))
    theme.code, theme.name_nl, theme.name_en = code, name_nl.strip(), name_en.strip()
    theme.active = active
    db.session.add(theme)
    db.session.flush()
    return theme


def _theme(code: str) -> Theme:
    theme = db.session.scalars(select(Theme).where(Theme.code == code,
                                                   Theme.active.is_(True))).first()
    if theme is None:
        raise DomainError(_l("Choose a theme."))
    return theme


def _text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise DomainError(_l("Write what you want to tell us."))
    if len(cleaned) > MAX_TEXT:
        raise DomainError(_l("Your text is too long (at most %(n)s characters).", n=MAX_TEXT))
    return cleaned


def _place_names() -> list[str]:
    """The names of the municipality's gebieden, wijken and buurten, which the personal
    data check does not take for names or addresses."""
    return list(db.session.scalars(select(Area.name).union(
        select(Neighbourhood.name), select(District.name))))


def _looks_personal(*texts: str) -> bool:
    places = _place_names()
    return any(find_personal_data(text, places) for text in texts)


def personal_data_found(item: FeedbackItem) -> tuple[str, ...]:
    """The kinds of personal data (``personal_data.KINDS``) an item's words and place seem
    to contain, for the team member who checks them; never the data itself."""
    places = _place_names()
    found = set(find_personal_data(item.text, places) + find_personal_data(item.place, places))
    return tuple(kind for kind in KINDS if kind in found)


# --- giving feedback ----------------------------------------------------------------------

def submit(member: PanelMember, theme_code: str, neighbourhood_code: str, place: str,
           text: str) -> FeedbackItem:
    """A panel member gives feedback through their own page. Raises DomainError."""
    if member.status != MemberStatus.MEMBER:
        raise DomainError(_l("Confirm your place in the panel first."))
    wijk = member.neighbourhood if not neighbourhood_code else db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.code == neighbourhood_code)).first()
    if wijk is None:
        raise DomainError(_l("Choose a wijk from the list."))
    words = _text(text)
    item = FeedbackItem(neighbourhood=wijk, theme=_theme(theme_code), place=place.strip()[:200],
                        text=words, source=Source.RESIDENT.value, member_id=member.id,
                        flagged=_looks_personal(words, place))
    db.session.add(item)
    db.session.flush()
    return item


def record_for_meeting(user: User, meeting_id: int, theme_code: str, neighbourhood_code: str,
                       place: str, text: str) -> FeedbackItem:
    """The team records what the group raised during a meeting. Raises DomainError."""
    require(may_manage_feedback(user))
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    require_manages(user, meeting.area)
    wijk = next((n for n in meeting.neighbourhoods if n.code == neighbourhood_code), None)
    if wijk is None:
        raise DomainError(_l("Choose one of the wijken of this meeting."))
    words = _text(text)
    item = FeedbackItem(neighbourhood=wijk, theme=_theme(theme_code), place=place.strip()[:200],
                        text=words, source=Source.MEETING.value, meeting_id=meeting.id,
                        created_by_id=user.id,
                        flagged=_looks_personal(words, place))
    db.session.add(item)
    db.session.flush()
    return item


# --- triage -------------------------------------------------------------------------------

def _items_for(user: User):  # type: ignore[no-untyped-def]
    areas = visible_areas(user).with_only_columns(Area.id)
    return select(FeedbackItem).join(FeedbackItem.neighbourhood).where(
        Neighbourhood.area_id.in_(areas))


def get_item(user: User, item_id: int) -> FeedbackItem:
    """An item of the user's own gebieden. Raises NotFound otherwise."""
    require(may_manage_feedback(user))
    item = db.session.scalars(_items_for(user).where(FeedbackItem.id == item_id)).first()
    if item is None:
        raise NotFound()
    return item


@dataclass
class ItemFilter:
    area_code: str = ""
    status: str = ""
    theme_code: str = ""
    flagged_only: bool = False
    unchecked_only: bool = False  # words not checked yet (review pending)
    older_than_days: int = 0  # waiting longer than this many days (0: any age)


def waiting_for_check(created_before: Any = None) -> Any:
    """The condition on FeedbackItem: its words are not checked yet (and it was made before
    ``created_before``, a time or a bound parameter, when given). The work list counts with
    the same condition."""
    condition = FeedbackItem.review == Review.PENDING.value
    if created_before is not None:
        condition = condition & (FeedbackItem.created_at < created_before)
    return condition


def list_items(user: User, flt: ItemFilter) -> list[FeedbackItem]:
    require(may_manage_feedback(user))
    query = _items_for(user).options(selectinload(FeedbackItem.theme),
                                     selectinload(FeedbackItem.neighbourhood))
    if flt.area_code:
        query = query.join(Area, Area.id == Neighbourhood.area_id).where(
            Area.code == flt.area_code)
    if flt.status:
        query = query.where(FeedbackItem.status == flt.status)
    if flt.theme_code:
        query = query.join(Theme, Theme.id == FeedbackItem.theme_id).where(
            Theme.code == flt.theme_code)
    if flt.flagged_only:
        query = query.where(FeedbackItem.flagged.is_(True),
                            FeedbackItem.review == Review.PENDING.value)
    if flt.unchecked_only or flt.older_than_days:
        query = query.where(waiting_for_check(
            utcnow() - timedelta(days=flt.older_than_days) if flt.older_than_days else None))
    return list(db.session.scalars(query.order_by(FeedbackItem.created_at.desc()).limit(500)))


def review(user: User, item_id: int, public_text: str, publish: bool) -> FeedbackItem:
    """A team member checks an item's words: publish them (perhaps edited), or keep them
    off the public page (the item is still counted). Refuses to publish text that still
    looks like it contains personal data. Raises DomainError."""
    item = get_item(user, item_id)
    if publish:
        words = _text(public_text)
        found = find_personal_data(words, _place_names())
        if found:
            raise DomainError(_l("The text still seems to contain personal data: %(kinds)s. "
                                 "Edit it before you publish.",
                                 kinds=personal_data_names(found)))
        item.public_text = words
        item.review = Review.APPROVED.value
    else:
        item.public_text = ""
        item.review = Review.HIDDEN.value
    item.flagged = False
    item.reviewed_by_id, item.reviewed_at = user.id, utcnow()
    db.session.flush()
    return item


def set_status(user: User, item_id: int, status: str, reason: str = "",
               partner: str = "") -> FeedbackItem:
    """Move an item to another status, following TRANSITIONS. Raises DomainError."""
    item = get_item(user, item_id)
    try:
        target = ItemStatus(status)
    except ValueError as exc:
        raise DomainError(_l("Choose a status.")) from exc
    if target != item.status and target not in TRANSITIONS[ItemStatus(item.status)]:
        raise DomainError(_l("This status change is not possible."))
    if target == ItemStatus.DECLINED and not reason.strip():
        raise DomainError(_l("Write the reason why it is not taken up. Residents can read "
                             "it."))
    if target == ItemStatus.PASSED_ON and partner not in PARTNERS:
        raise DomainError(_l("Choose the partner it is passed to."))
    item.status = target.value
    item.status_reason = reason.strip() if target == ItemStatus.DECLINED else ""
    item.partner = partner if target == ItemStatus.PASSED_ON else ""
    db.session.flush()
    return item


@dataclass
class AgeBucket:
    label: str
    count: int


def open_items_by_age(user: User, now: datetime | None = None) -> list[tuple[Area, list[int]]]:
    """Per gebied, the number of open items by age: under a week, a week to a month, one
    to three months, older."""
    require(may_manage_feedback(user))
    now = now or utcnow()
    limits = [now - timedelta(days=7), now - timedelta(days=30), now - timedelta(days=90)]
    areas = list(db.session.scalars(visible_areas(user)))
    counts: dict[int, list[int]] = {a.id: [0, 0, 0, 0] for a in areas}
    rows = db.session.execute(
        select(Neighbourhood.area_id, FeedbackItem.created_at)
        .join(FeedbackItem.neighbourhood)
        .where(FeedbackItem.status.in_(OPEN_STATUSES),
               Neighbourhood.area_id.in_(list(counts))))
    for area_id, created in rows:
        bucket = 0 if created >= limits[0] else 1 if created >= limits[1] else \
            2 if created >= limits[2] else 3
        counts[area_id][bucket] += 1
    return [(a, counts[a.id]) for a in areas]


# --- actions ------------------------------------------------------------------------------

@dataclass
class ActionData:
    title: str
    description: str
    owner: str
    due_date: date | None
    item_ids: list[int] = field(default_factory=list)
    meeting_ids: list[int] = field(default_factory=list)


def _links(area: Area, data: ActionData) -> tuple[list[FeedbackItem], list[Meeting]]:
    items = list(db.session.scalars(select(FeedbackItem).join(FeedbackItem.neighbourhood)
                                    .where(FeedbackItem.id.in_(data.item_ids),
                                           Neighbourhood.area_id == area.id)))
    meetings = list(db.session.scalars(select(Meeting).where(
        Meeting.id.in_(data.meeting_ids), Meeting.area_id == area.id)))
    if len(items) != len(set(data.item_ids)) or len(meetings) != len(set(data.meeting_ids)):
        raise NotFound()
    return items, meetings


def create_action(user: User, area_code: str, data: ActionData) -> Action:
    """Start an action for a gebied, linked to the feedback items and meetings it answers.
    Raises DomainError, NotFound for items or meetings of another gebied."""
    area = managed_area(user, area_code)
    if not data.title.strip():
        raise DomainError(_l("Fill in a title."))
    items, meetings = _links(area, data)
    now = utcnow()
    action = Action(area=area, title=data.title.strip(), description=data.description.strip(),
                    owner=data.owner.strip(), due_date=data.due_date, created_by_id=user.id,
                    items=items, meetings=meetings, created_at=now)
    action.updates.append(ActionUpdate(status_to=ActionStatus.PLANNED.value, author_id=user.id,
                                       note="", created_at=now))
    db.session.add(action)
    _mark_handling(items)
    db.session.flush()
    return action


def _mark_handling(items: list[FeedbackItem]) -> None:
    """Items an action answers are being handled (unless already further along)."""
    for item in items:
        if item.status == ItemStatus.NEW:
            item.status = ItemStatus.HANDLING.value


def get_action(user: User, action_id: int) -> Action:
    require_staff(user)
    areas = visible_areas(user).with_only_columns(Area.id)
    action = db.session.scalars(select(Action).where(Action.id == action_id,
                                                     Action.area_id.in_(areas))).first()
    if action is None:
        raise NotFound()
    return action


def edit_action(user: User, action_id: int, data: ActionData) -> Action:
    """Change an action's description, owner, due date and links."""
    action = get_action(user, action_id)
    require_manages(user, action.area)
    if not data.title.strip():
        raise DomainError(_l("Fill in a title."))
    action.items, action.meetings = _links(action.area, data)
    _mark_handling(action.items)
    action.title, action.description = data.title.strip(), data.description.strip()
    action.owner, action.due_date = data.owner.strip(), data.due_date
    db.session.flush()
    return action


def update_action(user: User, action_id: int, status: str, progress: int,
                  note: str) -> ActionUpdate:
    """Log progress on an action. When the status changes, every resident whose feedback the
    action answers gets one email about it (never two for the same change)."""
    action = get_action(user, action_id)
    require_manages(user, action.area)
    try:
        target = ActionStatus(status)
    except ValueError as exc:
        raise DomainError(_l("Choose a status.")) from exc
    if not 0 <= progress <= 100:
        raise DomainError(_l("Progress is a percentage from 0 to 100."))
    if target == ActionStatus.DONE:
        progress = 100
    now = utcnow()
    entry = ActionUpdate(action=action, status_from=action.status, status_to=target.value,
                         progress=progress, note=note.strip(), author_id=user.id,
                         created_at=now)
    changed = target != action.status
    action.status, action.progress = target.value, progress
    action.last_progress_at = now
    db.session.add(entry)
    db.session.flush()
    if changed:
        notify(entry)
    return entry


def notify(entry: ActionUpdate) -> int:
    """Email the residents behind an action's feedback about a status change, once each.
    The notification row is claimed first (``ON CONFLICT DO NOTHING``), so calling this
    again for the same change sends nothing."""
    # The wijk each resident raised it for (not necessarily the wijk they live in).
    raised_in = {item.member_id: item.neighbourhood for item in entry.action.items
                 if item.member_id}
    sent = 0
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    for member in db.session.scalars(select(PanelMember).where(
            PanelMember.id.in_(list(raised_in)),
            PanelMember.status == MemberStatus.MEMBER.value)):
        # RETURNING tells whether this call made the row (rowcount is not reliable for an
        # INSERT ... ON CONFLICT on every driver).
        claimed = db.session.execute(insert(Notification).values(
            update_id=entry.id, member_id=member.id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["update_id", "member_id"])
            .returning(Notification.id)).first()
        if claimed is not None:
            wijk = raised_in[member.id]
            send_member_mail(member, _l("News about what you raised: %(title)s",
                                        title=entry.action.title), "action_update",
                             action=entry.action, update=entry,
                             status_label=ACTION_STATUS_LABELS[entry.status_to],
                             wijk=wijk.name,
                             feedback_url=absolute_url("feedback.public", code=wijk.code))
            sent += 1
    db.session.flush()
    return sent


class Due(enum.StrEnum):
    """Open actions by their due date or their last progress (the work list's lines)."""

    OVERDUE = "verlopen"  # past the due date (a Dutch day: from the day after it)
    SOON = "binnenkort"  # due today or within ACTION_DUE_DAYS days
    QUIET = "stil"  # no progress for ACTION_QUIET_DAYS days


ACTION_DUE_DAYS = 14
ACTION_QUIET_DAYS = 30
OPEN_ACTIONS = (ActionStatus.PLANNED.value, ActionStatus.IN_PROGRESS.value)


def due_bounds(now: datetime) -> dict[str, Any]:
    """The dates and times ``due_condition`` compares with at ``now``: today (a Dutch day),
    the last day of "soon", and the start of the quiet period."""
    today = local_today(now)
    return {"today": today, "soon_until": today + timedelta(days=ACTION_DUE_DAYS),
            "quiet_since": now - timedelta(days=ACTION_QUIET_DAYS)}


def due_condition(due: Due, bounds: dict[str, Any]) -> Any:
    """The condition on Action for an open action that is ``due``, with the ``bounds`` of
    ``due_bounds`` (values, or bound parameters of those names)."""
    # Single parameters rather than a list, which SQLAlchemy would write into the text of
    # a statement built once (the work list's) again on every request.
    condition = Action.status.in_([literal(status) for status in OPEN_ACTIONS])
    if due == Due.OVERDUE:
        return condition & (Action.due_date < bounds["today"])
    if due == Due.SOON:
        return condition & Action.due_date.between(bounds["today"], bounds["soon_until"])
    return condition & (Action.last_progress_at < bounds["quiet_since"])


def list_actions(user: User, area_code: str = "", due: Due | None = None) -> list[Action]:
    """The actions of the gebieden ``user`` may see, open ones first; only those of the
    gebied ``area_code`` and only ``due`` ones when given."""
    require_staff(user)
    areas = visible_areas(user).with_only_columns(Area.id)
    if area_code:
        areas = areas.where(Area.code == area_code)
    query = select(Action).where(Action.area_id.in_(areas))
    if due is not None:
        query = query.where(due_condition(due, due_bounds(utcnow())))
    return list(db.session.scalars(
        query.options(selectinload(Action.area))
        .order_by(Action.status == ActionStatus.DONE.value, Action.due_date.is_(None),
                  Action.due_date)))


# --- showing it back ----------------------------------------------------------------------

@dataclass
class ThemeReport:
    theme: Theme
    count: int = 0
    quotes: list[FeedbackItem] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    shown: int | str = 0  # the count as it may be published: a number or "< N"


def public_min_count() -> int:
    """Counts below this are published as "< N" (``PANEL_REPORT_MIN_COUNT``, as in the
    motion reports, which count the same items)."""
    return int(current_app.config.get("PANEL_REPORT_MIN_COUNT", 5))


def _linked_actions(wijk_id: int, *columns: Any) -> Select[Any]:
    """``columns`` of every (item of the wijk, action answering it) pair. The links are
    matched against the wijk's item ids first (a semi-join): there is no index on
    ``action_item.item_id``, and SQLite otherwise looks up the item and the action of every
    link in the municipality."""
    wijk_items = select(FeedbackItem.id).where(FeedbackItem.neighbourhood_id == wijk_id)
    return (select(*columns).select_from(action_item)
            .join(FeedbackItem, FeedbackItem.id == action_item.c.item_id)
            .join(Action, Action.id == action_item.c.action_id)
            .where(action_item.c.item_id.in_(wijk_items)))


def public_report(wijk_code: str) -> tuple[Neighbourhood, list[ThemeReport]]:
    """Per theme: how much residents of the wijk raised (``shown``: a small count as
    "< N"), the checked quotes, and the actions taken, with status and dates. No names, no
    unchecked words. Raises NotFound."""
    wijk = db.session.scalars(select(Neighbourhood).where(Neighbourhood.code == wijk_code)).first()
    if wijk is None:
        raise NotFound()
    counts = dict(db.session.execute(
        select(FeedbackItem.theme_id, func.count(FeedbackItem.id))
        .where(FeedbackItem.neighbourhood_id == wijk.id).group_by(FeedbackItem.theme_id))
        .tuples().all())
    quotes = list(db.session.scalars(
        select(FeedbackItem).where(FeedbackItem.neighbourhood_id == wijk.id,
                                   FeedbackItem.review == Review.APPROVED.value)
        .order_by(FeedbackItem.created_at.desc())))
    linked = db.session.execute(
        _linked_actions(wijk.id, FeedbackItem.theme_id, Action)
        .order_by(Action.updated_at.desc())).tuples().all()
    by_theme: dict[int, ThemeReport] = {}
    theme_rows = {t.id: t for t in themes(include_inactive=True)}
    for theme_id, count in counts.items():
        by_theme[theme_id] = ThemeReport(theme_rows[theme_id], count=count)
    for quote in quotes:
        by_theme[quote.theme_id].quotes.append(quote)
    seen: defaultdict[int, set[int]] = defaultdict(set)
    for theme_id, action in linked:
        if action.id not in seen[theme_id]:
            seen[theme_id].add(action.id)
            by_theme[theme_id].actions.append(action)
    # The counts per theme with no total: only the small ones are hidden. Through
    # ``protect`` all the same, so that a total shown later gets its secondary cells.
    protected = protect({theme_id: part.count for theme_id, part in by_theme.items()},
                        minimum=public_min_count())
    for theme_id, part in by_theme.items():
        part.shown = protected.shown(theme_id)
    ordered = sorted(by_theme.values(), key=lambda r: (r.theme.position, r.theme.name_nl))
    return wijk, ordered


def public_report_fingerprint(wijk_code: str) -> tuple[object, ...]:
    """The rows :func:`public_report` shows for a wijk (counts per theme, checked quotes,
    linked actions, themes), as plain tuples and without building the page: the page's
    ETag is made from them (``panel.conditional``)."""
    wijk = db.session.execute(select(Neighbourhood.__table__)
                              .where(Neighbourhood.code == wijk_code)).first()
    if wijk is None:
        return (None,)
    counts = db.session.execute(
        select(FeedbackItem.theme_id, func.count(FeedbackItem.id))
        .where(FeedbackItem.neighbourhood_id == wijk.id)
        .group_by(FeedbackItem.theme_id).order_by(FeedbackItem.theme_id)).all()
    quotes = db.session.execute(
        select(FeedbackItem.id, FeedbackItem.theme_id, FeedbackItem.public_text,
               FeedbackItem.place, FeedbackItem.status, FeedbackItem.status_reason,
               FeedbackItem.partner, FeedbackItem.created_at)
        .where(FeedbackItem.neighbourhood_id == wijk.id,
               FeedbackItem.review == Review.APPROVED.value)
        .order_by(FeedbackItem.id)).all()
    actions = db.session.execute(
        _linked_actions(wijk.id, FeedbackItem.theme_id, Action.__table__)
        .order_by(FeedbackItem.theme_id, Action.id)).all()
    theme_rows = db.session.execute(select(Theme.__table__).order_by(Theme.id)).all()
    return (tuple(wijk), [tuple(c) for c in counts], [tuple(q) for q in quotes],
            [tuple(a) for a in actions], [tuple(t) for t in theme_rows])


# --- evaluations --------------------------------------------------------------------------

def request_evaluations(user: User, meeting_id: int) -> int:
    """Ask everyone marked present at a meeting to rate it (once each)."""
    require(may_manage_feedback(user))
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    require_manages(user, meeting.area)
    if meeting.closed_at is None:
        raise DomainError(_l("Keep the attendance first. Then ask the people who came."))
    asked = set(db.session.scalars(select(Evaluation.member_id).where(
        Evaluation.meeting_id == meeting.id)))
    sent = 0
    for member in db.session.scalars(
            select(PanelMember).join(Reply, Reply.member_id == PanelMember.id)
            .where(Reply.meeting_id == meeting.id, Reply.attended.is_(True),
                   PanelMember.status == MemberStatus.MEMBER.value)):
        if member.id in asked:
            continue
        db.session.add(Evaluation(meeting_id=meeting.id, member_id=member.id))
        send_member_mail(member, _l("How was the meeting? %(title)s", title=meeting.title),
                         "evaluation_request", meeting=meeting,
                         evaluation_url=absolute_url("feedback.evaluate",
                                                     meeting_id=meeting.id))
        sent += 1
    db.session.flush()
    return sent


def open_evaluations(member: PanelMember) -> list[Evaluation]:
    """Meetings the member was asked to rate and has not rated yet."""
    return list(db.session.scalars(select(Evaluation).where(
        Evaluation.member_id == member.id, Evaluation.answered_at.is_(None))))


def evaluation_for(member: PanelMember, meeting_id: int) -> Evaluation:
    evaluation = db.session.scalars(select(Evaluation).where(
        Evaluation.meeting_id == meeting_id, Evaluation.member_id == member.id)).first()
    if evaluation is None:
        raise NotFound()
    return evaluation


def evaluate(member: PanelMember, meeting_id: int, rating: int | None,
             comments: str) -> Evaluation:
    """An attendee rates the meeting (1 to 5) and may add comments. Raises DomainError."""
    evaluation = evaluation_for(member, meeting_id)
    if rating is None or not 1 <= rating <= 5:
        raise DomainError(_l("Choose a rating from 1 to 5."))
    evaluation.rating, evaluation.comments = rating, comments.strip()[:MAX_TEXT]
    evaluation.answered_at = utcnow()
    db.session.flush()
    return evaluation


def evaluation_summary(meeting: Meeting) -> tuple[int, float | None]:
    """How many attendees rated the meeting, and the average rating."""
    count, average = db.session.execute(
        select(func.count(Evaluation.rating), func.avg(Evaluation.rating))
        .where(Evaluation.meeting_id == meeting.id, Evaluation.rating.is_not(None))).one()
    return int(count or 0), float(average) if average is not None else None
