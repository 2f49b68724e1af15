"""Public meeting pages, calendar files, replying by link, polls, and the staff pages for
planning, inviting and keeping attendance."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass

from blinker import Namespace
from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from panel import limits
from panel.areas import services as area_services
from panel.auth.permissions import managed_area, may_manage_meetings
from panel.conditional import conditional
from panel.db import utcnow
from panel.errors import DomainError
from panel.exports import download
from panel.extensions import limiter
from panel.i18n import current_language, speak_to
from panel.meetings import calendar, forms, services
from panel.meetings import spread as spread_suggestion
from panel.meetings.models import Invitation, Meeting, MeetingStatus, ReplyStatus
from panel.meetings.times import to_local
from panel.outcome import outcome, say
from panel.security import no_store
from panel.signups import letters, residents
from panel.signups.models import PanelMember
from panel.urls import absolute_url

bp = Blueprint("meetings", __name__)


@dataclass(frozen=True)
class StaffPagePart:
    """What a later domain adds to the staff page of a meeting: ``figures`` are rows of the
    figures list (``<div><dt>…</dt><dd>…</dd></div>``), ``actions`` items of the list of
    things to do (``<li>…</li>``, shown only to those who manage the meeting)."""

    figures: Markup = Markup("")
    actions: Markup = Markup("")


# Meetings come before feedback (areas ← signups ← meetings ← feedback ← motions), so the
# staff page of a meeting does not ask feedback for its parts: a later domain connects a
# receiver, ``receiver(meeting, manage=…) -> StaffPagePart | None``, and the page shows
# what the receivers return (feedback: the average mark, recording what the group raised,
# asking the people who came for their opinion).
staff_page_parts = Namespace().signal("meeting-staff-page")


def _labels() -> dict[str, object]:
    return {"status_labels": forms.STATUS_LABELS, "reply_labels": forms.REPLY_LABELS,
            "kind_labels": forms.KIND_LABELS, "MeetingStatus": MeetingStatus,
            "ReplyStatus": ReplyStatus}


def _ics_response(body: bytes, *name: object) -> BaseResponse:
    return download(body, "text/calendar", *name, extension="ics")


# --- public -------------------------------------------------------------------------------

@bp.get("/bijeenkomsten")
@conditional(services.upcoming_public_fingerprint)
def public_list() -> str:
    meetings = services.upcoming_public()
    by_area: dict[str, list[Meeting]] = {}
    for meeting in meetings:
        by_area.setdefault(meeting.area.name, []).append(meeting)
    return render_template("meetings/public_list.html", by_area=by_area,
                           areas=area_services.public_overview(), **_labels())


def _public_meeting(meeting_id: int) -> services.PublicMeeting:
    """The data of a meeting's public page, read once per request: its ETag is made from
    it (when the ETag is worked out) and the page shows it."""
    page: services.PublicMeeting | None = g.get("public_meeting")
    if page is None or page.id != meeting_id:
        page = g.public_meeting = services.public_meeting_page(meeting_id)
    return page


# The texts of a meeting's public page (see _public_texts).
_PUBLIC_TEXTS = {
    "cancelled": _l("This meeting is cancelled."),
    "taken_place": _l("This meeting has taken place."),
    "started": _l("This meeting has already started."),
    "no_reply": _l("You can no longer reply."),
    "when": _l("When"), "kind": _l("Kind"), "where": _l("Where"),
    "accessibility": _l("Accessibility"), "wijken": _l("For the wijken"),
    "places": _l("Places left"), "full": _l("None: the meeting is full. You can go on the "
                                            "waitlist."),
    "agenda": _l("Agenda"),
    "calendar": _l("Add to my calendar"),
    "invited": _l("Are you invited? Reply with the link in your invitation, or on your own "
                  "page."),
    "all": _l("All meetings"),
} | {f"kind_{kind}": label for kind, label in forms.KIND_LABELS.items()}


@functools.cache
def _public_texts(language: str) -> dict[str, str]:
    """The texts of a meeting's public page in ``language`` (the current one), looked up
    in the catalogue once per worker instead of once per request: the catalogue does not
    change while the worker runs. Plain text, escaped by the template."""
    return {key: str(text) for key, text in _PUBLIC_TEXTS.items()}


def _when(page: services.PublicMeeting) -> str:
    """``dinsdag 12 januari 2027, 19:30 – 21:00``, as the ``moment`` and ``time_only``
    filters write a meeting's start and end, with the language's date pattern applied
    directly (Babel's ``format_date`` looks the locale, pattern and time zone up again for
    each value)."""
    if page.starts_at is None:
        return ""
    locale = get_locale()
    start = to_local(page.starts_at)
    day = locale.date_formats["full"].apply(start.date(), locale)
    end = f"{to_local(page.ends_at):%H:%M}" if page.ends_at else ""
    return f"{day}, {start:%H:%M} – {end}"


@bp.get("/bijeenkomsten/<int:meeting_id>")
@conditional(_public_meeting)
def public_detail(meeting_id: int) -> str:
    page = _public_meeting(meeting_id)
    texts = _public_texts(current_language())
    return render_template("meetings/public_detail.html", meeting=page, when=_when(page),
                           text=texts, kind=texts.get(f"kind_{page.kind}", ""),
                           wijken=", ".join(page.wijken))


@bp.get("/bijeenkomsten/<int:meeting_id>.ics")
@conditional(services.meeting_calendar_fingerprint)
def meeting_ics(meeting_id: int) -> BaseResponse:
    """The meeting as a calendar file, without its online link (as on its public page)."""
    meeting = services.public_meeting(meeting_id)
    method = "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "PUBLISH"
    base = current_app.config["PANEL_BASE_URL"]
    return _ics_response(calendar.event_ics(meeting, method=method, base_url=base,
                                            online_link=False),
                         "bijeenkomst", meeting.id)


@bp.get("/gebieden/<code>/agenda.ics")
@conditional(services.area_calendar_fingerprint)
def area_ics(code: str) -> BaseResponse:
    """The gebied's open and cancelled meetings as a feed to subscribe to, without online
    links."""
    area, meetings = services.area_calendar(code)
    name = _("Wijkpanel meetings %(area)s", area=area.name)
    return _ics_response(calendar.feed_ics(meetings, name, online_link=False,
                                           base_url=current_app.config["PANEL_BASE_URL"]),
                         "wijkpanel", area.code)


# --- replying by personal link ------------------------------------------------------------

@bp.route("/antwoord/<token>", methods=["GET", "POST"])
@limiter.limit(limits.PER_LINK, key_func=limits.by_link(), methods=["POST"])
def reply(token: str) -> BaseResponse | tuple[str, int]:
    try:
        invitation = services.invitation_by_token(token)
    except DomainError as exc:
        return render_template("meetings/reply_closed.html", message=exc.message), 410
    speak_to(invitation.member.language)  # the language of the invitation's email
    return _reply_page(invitation, url_for("meetings.reply", token=token))


@bp.route("/mijn/bijeenkomsten/<int:meeting_id>", methods=["GET", "POST"])
@limiter.limit(limits.PER_MEMBER, key_func=limits.by_member(residents.RESIDENT),
               methods=["POST"])
def my_reply(meeting_id: int) -> BaseResponse:
    member = residents.current_member()
    if member is None:
        return redirect(url_for("residents.my_page"))
    invitation = services.invitation_for(member, meeting_id)
    return _reply_page(invitation, url_for("meetings.my_reply", meeting_id=meeting_id))


def _reply_page(invitation: Invitation, here: str) -> BaseResponse:
    """Show a meeting to an invited resident and take their yes or no."""
    meeting, member = invitation.meeting, invitation.member
    form = forms.ActionForm()
    if form.validate_on_submit():
        coming = request.form.get("answer") == "yes"
        with outcome() as saved:
            row = services.reply(meeting, member, coming)
            # Counted before the commit, while the waitlist number's lock is held.
            position = services.waiting_position(row)
        if saved:
            residents.sign_in(member.id)
            if row.status == ReplyStatus.ATTENDING:
                say(_("Thank you. You have a place. See you there!"))
            elif row.status == ReplyStatus.WAITING:
                say(_("Thank you. The meeting is full. You are on the waitlist with number "
                      "%(n)s.", n=position), "info")
            else:
                say(_("Thank you for letting us know. You are not coming."))
        return redirect(here)
    row = services.current_reply(meeting, member)
    started = meeting.has_started()
    closed = started or meeting.status != MeetingStatus.OPEN or meeting.starts_at is None
    return no_store(make_response(render_template(
        "meetings/reply.html", meeting=meeting, member=member, reply=row, form=form,
        closed=closed, started=started, ended=meeting.has_ended(),
        position=services.waiting_position(row) if row else None,
        suggested=request.args.get("keuze"), **_labels())))


@bp.route("/mijn/peiling/<int:meeting_id>", methods=["GET", "POST"])
def poll_vote(meeting_id: int) -> BaseResponse:
    member = residents.current_member()
    if member is None:
        return redirect(url_for("residents.my_page"))
    meeting, marked = services.poll_for_member(member, meeting_id)
    form = forms.ActionForm()
    if form.validate_on_submit():
        chosen = {int(v) for v in request.form.getlist("slot") if v.isdigit()}
        with outcome(_("Thank you. We have saved which dates suit you.")):
            services.vote(member, meeting_id, chosen)
        return redirect(url_for("meetings.poll_vote", meeting_id=meeting_id))
    return no_store(make_response(render_template(
        "meetings/poll_vote.html", meeting=meeting, marked=marked, form=form)))


# --- staff --------------------------------------------------------------------------------

def _meeting_form(area, meeting: Meeting | None = None) -> forms.MeetingForm:  # type: ignore[no-untyped-def]
    form = forms.MeetingForm(obj=meeting)
    form.wijken.choices = [SelectChoice(n.code, n.name) for n in area.neighbourhoods]
    form.team.choices = [SelectChoice(str(u.id), u.name or u.email)
                         for u in services.team_of(area)]
    if meeting is not None and request.method == "GET":
        form.wijken.data = [n.code for n in meeting.neighbourhoods]
        form.team.data = [str(u.id) for u in meeting.team]
        if meeting.starts_at and meeting.ends_at:
            form.day.data = to_local(meeting.starts_at).date()
            form.start.data = to_local(meeting.starts_at).time()
            form.end.data = to_local(meeting.ends_at).time()
    return form


def _data(form: forms.MeetingForm) -> services.MeetingData:
    return services.MeetingData(
        title=form.title.data or "", description=form.description.data or "",
        agenda=form.agenda.data or "", kind=form.kind.data or "in_person",
        venue=form.venue.data or "", address=form.address.data or "",
        accessibility=form.accessibility.data or "", online_url=form.online_url.data or "",
        day=form.day.data, start=form.start.data, end=form.end.data,
        capacity=form.capacity.data or 0, neighbourhood_codes=form.wijken.data or [],
        team_ids=[int(v) for v in form.team.data or [] if str(v).isdigit()])


@bp.get("/beheer/bijeenkomsten")
@login_required
def staff_list() -> str:
    overview = services.staff_overview(current_user)
    return render_template("meetings/staff_list.html", upcoming=overview.upcoming,
                           past=overview.past, today=overview.today, now=overview.now,
                           areas=area_services.areas_for(current_user), **_labels())


@bp.route("/beheer/gebieden/<code>/bijeenkomsten/nieuw", methods=["GET", "POST"])
@login_required
def create(code: str) -> str | BaseResponse:
    area = managed_area(current_user, code)
    form = _meeting_form(area)
    # The meeting form holds the CSRF token for both.
    poll = forms.PollSlotsForm(prefix="poll", meta={"csrf": False})
    use_poll = request.values.get("datum") == "peiling"
    form.dates_required = not use_poll
    warnings: list[str] = []
    valid = form.validate_on_submit()
    if use_poll and form.is_submitted():
        valid = poll.validate() and valid
    if valid:
        meeting: Meeting | None = None  # stays None while warnings are not accepted
        with outcome(form=form) as saved:
            if use_poll:
                slots = [services.SlotData(day, start, end) for day, start, end in (
                    (poll.day1.data, poll.start1.data, poll.end1.data),
                    (poll.day2.data, poll.start2.data, poll.end2.data),
                    (poll.day3.data, poll.start3.data, poll.end3.data)) if day and start and end]
                meeting = services.start_poll(current_user, code, _data(form), slots)
            else:
                meeting, warnings = services.create(current_user, code, _data(form),
                                                    bool(form.accept_warnings.data))
        if saved and meeting is not None:
            say(_("The meeting is saved."))
            return redirect(url_for("meetings.staff_detail", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, poll=poll, use_poll=use_poll,
                           area=area, meeting=None, warnings=warnings)


@bp.route("/beheer/bijeenkomsten/<int:meeting_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int) -> str | BaseResponse:
    meeting = services.managed(current_user, meeting_id)
    form = _meeting_form(meeting.area, meeting)
    # A meeting whose date a poll chooses may stay without one until it is chosen.
    form.dates_required = meeting.status != MeetingStatus.POLL or any(
        f.raw_data and f.raw_data[0] for f in (form.day, form.start, form.end))
    warnings: list[str] = []
    if form.validate_on_submit():
        changed: Meeting | None = None  # stays None while warnings are not accepted
        with outcome(form=form) as saved:
            changed, warnings = services.update_meeting(current_user, meeting_id, _data(form),
                                                        bool(form.accept_warnings.data))
        if saved and changed is not None:
            say(_("The meeting is saved."))
            return redirect(url_for("meetings.staff_detail", meeting_id=meeting_id))
    return render_template("meetings/form.html", form=form, poll=None, use_poll=False,
                           area=meeting.area, meeting=meeting, warnings=warnings)


@bp.get("/beheer/bijeenkomsten/<int:meeting_id>")
@login_required
def staff_detail(meeting_id: int) -> BaseResponse:
    meeting = services.get_for(current_user, meeting_id)
    manage = may_manage_meetings(current_user, meeting.area)
    parts = [part for _receiver, part in staff_page_parts.send(meeting, manage=manage)
             if part is not None]
    now = utcnow()
    context = {"meeting": meeting, "counts": services.reply_counts(meeting),
               "present": services.present_count(meeting), "form": forms.ActionForm(),
               "manage": manage, "parts": parts, "now": now,
               "started": meeting.has_started(now), "ended": meeting.has_ended(now)}
    if manage and meeting.status == MeetingStatus.POLL:
        context["poll"] = services.poll_counts(current_user, meeting_id)
        context["poll_open"] = any(slot.starts_at > now for slot in meeting.slots)
    if manage:
        context["rows"] = services.attendance_rows(current_user, meeting_id)
        context["names"] = told_apart([row.member for row in context["rows"]])
        context["letters"] = services.letter_counts(meeting)
    return no_store(make_response(render_template("meetings/staff_detail.html", **context,
                                                  **_labels())))


def told_apart(members: list[PanelMember]) -> dict[int, str]:
    """Each member's name as a list shows it, by member id in the list's order: a name
    that two members share gets the address (or else the email address) after it, so that
    a reply by phone or the attendance goes to the right one of them."""
    shared = {name for name, count in Counter(m.name for m in members).items() if count > 1}
    return {m.id: f"{m.name} ({m.address_line or m.email or m.id})" if m.name in shared
            else m.name for m in members}


def _back_to(meeting_id: int) -> BaseResponse:
    return redirect(url_for("meetings.staff_detail", meeting_id=meeting_id))


@bp.post("/beheer/bijeenkomsten/<int:meeting_id>/openen")
@login_required
def open_meeting(meeting_id: int) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        with outcome(_("The meeting is open for replies.")):
            services.open_for_replies(current_user, meeting_id)
    return _back_to(meeting_id)


@bp.post("/beheer/bijeenkomsten/<int:meeting_id>/annuleren")
@login_required
def cancel_meeting(meeting_id: int) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        with outcome(_("The meeting is cancelled. Everyone who was coming gets an email.")):
            services.cancel(current_user, meeting_id)
    return _back_to(meeting_id)


@bp.post("/beheer/bijeenkomsten/<int:meeting_id>/uitnodigen")
@login_required
def invite(meeting_id: int) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        with outcome() as saved:
            report = services.invite(current_user, meeting_id)
        if saved:
            say(_("%(emailed)s invitations sent by email, %(letters)s need a letter, "
                  "%(already)s were invited before.", emailed=report.emailed,
                  letters=report.letters, already=report.already))
    return _back_to(meeting_id)


@bp.post("/beheer/bijeenkomsten/<int:meeting_id>/peiling")
@login_required
def invite_poll(meeting_id: int) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        with outcome() as saved:
            report = services.invite_to_poll(current_user, meeting_id)
        if saved:
            say(_("%(emailed)s residents were asked by email which date suits them.",
                  emailed=report.emailed))
    return _back_to(meeting_id)


@bp.post("/beheer/bijeenkomsten/<int:meeting_id>/datum/<int:slot_id>")
@login_required
def choose_slot(meeting_id: int, slot_id: int) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        with outcome(_("The date is chosen. Open the meeting for replies when you are "
                       "ready.")):
            services.choose_slot(current_user, meeting_id, slot_id)
    return _back_to(meeting_id)


@bp.post("/beheer/bijeenkomsten/<int:meeting_id>/antwoord/<int:member_id>")
@login_required
def staff_reply(meeting_id: int, member_id: int) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        coming = request.form.get("answer") == "yes"
        with outcome() as saved:
            row = services.staff_reply(current_user, meeting_id, member_id, coming)
            position = services.waiting_position(row)  # before the commit, as for residents
        if saved:
            if position is not None:  # said yes to a full meeting: tell the caller at once
                say(_("The meeting is full. This resident is on the waitlist with number "
                      "%(n)s. Tell them they do not have a place yet.", n=position), "info")
            elif row.status == ReplyStatus.ATTENDING:
                say(_("The reply is saved. This resident has a place."))
            else:
                say(_("The reply is saved."))
    return _back_to(meeting_id)


def _letters_docx(meeting: Meeting, recipients: list[tuple[PanelMember, str]]) -> bytes:
    items = [services.meeting_letter(member, meeting, absolute_url("meetings.reply", token=token))
             for member, token in recipients]
    municipality = area_services.get_municipality()
    return letters.build_letters_docx(items, municipality.name if municipality else "",
                                      current_app.config.get("PANEL_MUNICIPALITY_PHONE", ""))


@bp.post("/beheer/bijeenkomsten/<int:meeting_id>/brieven")
@login_required
def invitation_letters(meeting_id: int) -> BaseResponse:
    meeting = services.managed(current_user, meeting_id)
    if not forms.ActionForm().validate_on_submit():
        return _back_to(meeting_id)
    # The new reply links (and short codes) are kept only together with the letters, and
    # the letters count as printed only when the document is made.
    again = request.form.get("letters") == "all"
    with outcome() as saved:
        recipients = services.letter_recipients(current_user, meeting_id, again=again)
        body = _letters_docx(meeting, recipients) if recipients else None
        printed_before = services.letter_counts(meeting).total if body is None else 0
    if not saved:
        return _back_to(meeting_id)
    if body is None:
        if printed_before:
            say(_("All letters are printed already. There are no new letters to print."),
                "info")
        else:
            say(_("Everyone invited has an email address. No letters are needed."), "info")
        return _back_to(meeting_id)
    return no_store(download(body, "application/vnd.openxmlformats-officedocument."
                                   "wordprocessingml.document", "uitnodigingen", meeting.id,
                             extension="docx"))


@bp.route("/beheer/bijeenkomsten/<int:meeting_id>/aanwezigheid", methods=["GET", "POST"])
@login_required
def attendance(meeting_id: int) -> str | BaseResponse:
    meeting = services.managed(current_user, meeting_id)
    rows = services.attendance_rows(current_user, meeting_id)
    walk_ins = services.walk_in_candidates(current_user, meeting_id)
    form = forms.AttendanceForm(obj=meeting)
    names = told_apart([r.member for r in rows] + list(walk_ins))
    form.present.choices = [SelectChoice(member_id, name) for member_id, name in names.items()]
    if request.method == "GET":
        form.present.data = [r.member.id for r in rows if r.reply and r.reply.attended]
    if form.validate_on_submit():
        with outcome(_("Attendance and report are saved."), form=form) as saved:
            services.record_attendance(current_user, meeting_id, set(form.present.data or []),
                                       form.extra_attendees.data or 0, form.report.data or "")
        if saved:
            return _back_to(meeting_id)
    return no_store(make_response(render_template(
        "meetings/attendance.html", meeting=meeting, form=form, rows=rows, walk_ins=walk_ins,
        **_labels())))


@bp.route("/beheer/gebieden/<code>/spreiding", methods=["GET", "POST"])
@login_required
def spread(code: str) -> str | BaseResponse:
    """Suggest which members to invite to which upcoming open meeting of the gebied, and
    invite them on request: exactly the plan shown, or nothing when it changed since."""
    form = forms.SpreadForm()
    if form.validate_on_submit():
        with outcome(form=form) as saved:
            report = spread_suggestion.invite_as_planned(
                current_user, code, form.fingerprint.data or "", form.plan.data or "")
        if saved:
            if report.already:
                say(_("These invitations were sent already. Nobody was invited twice."),
                    "info")
            else:
                say(_("%(emailed)s invitations sent by email.", emailed=report.emailed))
                if report.letters:
                    say(ngettext("%(num)s member has no email address. Print the letter on "
                                 "the page of the meeting.",
                                 "%(num)s members have no email address. Print the letters "
                                 "on the page of the meeting.", report.letters), "info")
            return redirect(url_for("meetings.staff_list"))
    plan = spread_suggestion.plan_for_area(current_user, code)
    form.fingerprint.data, form.plan.data = plan.fingerprint, plan.pairs
    return no_store(make_response(render_template(
        "meetings/spread.html", plan=plan, suggestion=plan.suggestion,
        form=form,
        # translated once here, not once for each of a few thousand names
        reason_labels={key: str(label) for key, label
                       in spread_suggestion.REASON_LABELS.items()})))
