"""A municipality with work of every kind waiting in both gebieden, at a fixed moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from panel.db import db
from panel.feedback.models import Action, ActionStatus, ActionUpdate, FeedbackItem, Review, Theme
from panel.meetings.models import Invitation, Meeting, MeetingStatus, Reply, ReplyStatus
from panel.meetings.times import local_today
from panel.motions.models import Motion, MotionRequest, RequestStatus
from panel.signups.models import MemberStatus
from tests import factories

# A Monday morning in Dutch summer time (10:00 in Amsterdam).
NOW = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)

# What the team of one gebied finds on its work list (see ``work_of_every_kind``).
EXPECTED_LINES = {
    "meetings_unrecorded": 1, "feedback_14": 1, "feedback_7": 2, "actions_overdue": 1,
    "feedback_new": 4, "actions_due": 1, "actions_stale": 1, "polls": 1, "call_requests": 1,
    "awaiting_confirmation": 1,
}
EXPECTED_MEETING = {"waiting": 1, "not_invited": 1, "letters_to_print": 1,
                    "letters_unanswered": 1}


def _meeting(area, wijk, title: str, status: MeetingStatus, starts: datetime | None,
             **fields) -> Meeting:  # type: ignore[no-untyped-def]
    item = Meeting(area=area, title=title, status=status.value, starts_at=starts,
                   ends_at=starts + timedelta(hours=2) if starts else None,
                   neighbourhoods=[wijk], **fields)
    db.session.add(item)
    db.session.flush()
    return item


def _gebied_work(area, wijk, theme: Theme, now: datetime, tag: str) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    """Work of every kind in one gebied; ``tag`` keeps names and emails apart."""
    members = [factories.member(wijk, name=f"Lid {tag}{n}", email=f"{tag}{n}@example.org")
               for n in range(4)]
    by_letter = [factories.member(wijk, name=f"Brief {tag}{n}", email=None) for n in range(2)]
    factories.member(wijk, name=f"Wacht {tag}", email=None, status=MemberStatus.INVITED.value,
                     source="survey")
    factories.member(wijk, name=f"Mail {tag}", email=f"{tag}-mail@example.org",
                     status=MemberStatus.INVITED.value, source="survey")
    caller = factories.member(wijk, name=f"Bel {tag}", email=f"{tag}-bel@example.org",
                              phone="0612345678", status=MemberStatus.INVITED.value,
                              source="online")
    caller.call_requested_at = now - timedelta(days=1)

    soon = _meeting(area, wijk, f"Bijeenkomst {tag}", MeetingStatus.OPEN,
                    now + timedelta(days=3), capacity=2, seats_taken=2)
    for member in members[:3]:
        db.session.add(Invitation(meeting_id=soon.id, member_id=member.id, channel="email",
                                  token_hash=f"{tag}-{member.id}".ljust(64, "0")))
    for n, member in enumerate(by_letter):
        db.session.add(Invitation(meeting_id=soon.id, member_id=member.id, channel="letter",
                                  token_hash=f"{tag}-l{member.id}".ljust(64, "0"),
                                  letter_printed_at=now - timedelta(days=2) if n == 0 else None))
    for member, status in zip(members[:3], (ReplyStatus.ATTENDING, ReplyStatus.ATTENDING,
                                            ReplyStatus.WAITING), strict=True):
        db.session.add(Reply(meeting_id=soon.id, member_id=member.id, status=status.value,
                             waiting_since=now if status == ReplyStatus.WAITING else None))
    draft = _meeting(area, wijk, f"Concept {tag}", MeetingStatus.DRAFT, now + timedelta(days=10))
    _meeting(area, wijk, f"Later {tag}", MeetingStatus.OPEN, now + timedelta(days=20))
    ended = _meeting(area, wijk, f"Geweest {tag}", MeetingStatus.OPEN, now - timedelta(days=2))
    _meeting(area, wijk, f"Verslag klaar {tag}", MeetingStatus.OPEN, now - timedelta(days=10),
             closed_at=now - timedelta(days=9), report="Goed gesprek.")
    _meeting(area, wijk, f"Afgelast {tag}", MeetingStatus.CANCELLED, now - timedelta(days=2))
    poll = _meeting(area, wijk, f"Peiling {tag}", MeetingStatus.POLL, None)

    for days, review in ((20, Review.PENDING), (10, Review.PENDING), (1, Review.PENDING),
                         (0, Review.PENDING), (30, Review.APPROVED)):
        db.session.add(FeedbackItem(neighbourhood_id=wijk.id, theme_id=theme.id,
                                    text=f"Melding {tag}", source="resident", review=review.value,
                                    created_at=now - timedelta(days=days)))
    today = local_today(now)
    actions = {
        "overdue": Action(area=area, title=f"Te laat {tag}", due_date=today - timedelta(days=1),
                          created_at=now),
        "due": Action(area=area, title=f"Binnenkort {tag}", due_date=today + timedelta(days=5),
                      created_at=now),
        "later": Action(area=area, title=f"Later {tag}", due_date=today + timedelta(days=40),
                        created_at=now),
        "done": Action(area=area, title=f"Klaar {tag}", due_date=today - timedelta(days=3),
                       status=ActionStatus.DONE.value, created_at=now - timedelta(days=60)),
        "quiet": Action(area=area, title=f"Stil {tag}", created_at=now - timedelta(days=40)),
        # Its log has an entry of 5 days ago (below), which is its last progress.
        "moving": Action(area=area, title=f"Loopt {tag}", created_at=now - timedelta(days=40),
                         last_progress_at=now - timedelta(days=5),
                         status=ActionStatus.IN_PROGRESS.value),
    }
    db.session.add_all(actions.values())
    db.session.flush()
    db.session.add(ActionUpdate(action_id=actions["moving"].id, note="Gesprek gehad.",
                                created_at=now - timedelta(days=5)))
    db.session.flush()
    return SimpleNamespace(soon=soon, draft=draft, ended=ended, poll=poll, actions=actions,
                           caller=caller)


def work_of_every_kind(now: datetime = NOW) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    """``panel_world`` with the same work waiting in Noord and in Zuid, and motion requests
    for the clerk's office (1 overdue, 1 due within 30 days)."""
    world = factories.panel_world()
    theme = Theme(code="overlast", name_nl="Overlast", name_en="Nuisance", position=1)
    db.session.add(theme)
    db.session.flush()
    world.noord_work = _gebied_work(world.noord, world.mare, theme, now, "n")
    world.zuid_work = _gebied_work(world.zuid, world.vrooner, theme, now, "z")
    motion = Motion(reference="M2026-01", title="Bewoners betrekken",
                    adopted_on=local_today(now) - timedelta(days=200))
    today = local_today(now)
    motion.requests = [
        MotionRequest(position=1, text="Start panels", deadline=today - timedelta(days=3)),
        MotionRequest(position=2, text="Rapporteer", deadline=today + timedelta(days=20)),
        MotionRequest(position=3, text="Evalueer", deadline=today + timedelta(days=60)),
        MotionRequest(position=4, text="Klaar", deadline=today - timedelta(days=30),
                      status=RequestStatus.COMPLETED.value),
    ]
    db.session.add(motion)
    db.session.flush()
    return world
