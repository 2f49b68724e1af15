"""On a phone (360 × 800): the menus fold behind a button that works with the keyboard alone
and without JavaScript, every page's first heading is on the first screen, no page scrolls
sideways (also with the text at 200 %; wide tables scroll in their own named region), no
heading cuts a word in two, no table's caption runs out of sight and no chart's text runs
past its edge (at normal size), and
everything that takes the focus shows the same focus style.

The pages share one browser context (the module's), and each page is visited once for all
its checks: axe-core, the heading, the tables' regions and the text at 200 %."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from panel.auth.models import User
from panel.db import utcnow
from panel.demo.services import DEMO_PASSWORD
from panel.feedback.models import Evaluation
from panel.meetings.models import Invitation, Meeting, MeetingStatus, PollSlot
from panel.motions.models import FollowUpReport
from panel.security import new_token
from panel.signups.models import LinkPurpose, MemberStatus, PanelMember
from panel.signups.services import issue_link, new_short_code
from tests.browser.helpers import check_accessibility, menu, new_context, sign_in, visit

WIDTH, HEIGHT = 360, 800
STAFF_MENU = "Menu voor medewerkers"
BIG_TEXT = "html { font-size: 200% !important; }"

# What the page measures: how far it scrolls sideways, where its first heading ends, every
# table that is not in a focusable region named by a label, every word of a heading or
# caption that is spread over two lines (other than after a hyphen, as in "e-mail"), and
# every caption whose text goes past the right edge of the screen, and every text of a
# chart or map that goes past the edge of its drawing.
# The words of some elements that are spread over two lines: each word with the hyphen it
# ends in (a line may end after "e-"); an address (with @ or /) has no place to break, so
# it wraps anywhere.
CUT_WORDS_IN = """const cutWordsIn = elements => {
  const cut = [];
  for (const element of elements) {
    const texts = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = texts.nextNode(); node; node = texts.nextNode()) {
      for (const word of node.data.matchAll(/[^\\s-]+-?/g)) {
        if (/[@/]/.test(word[0])) continue;
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].filter(box => box.width > 0)
                              .map(box => Math.round(box.top)));
        if (lines.size > 1) cut.push(word[0]);
      }
    }
  }
  return cut;
};"""

MEASURE = """() => {""" + CUT_WORDS_IN + """
  const h1 = document.querySelector('h1');
  // Text only for screen readers (class wp-visually-hidden) is in a box of 1 px.
  const shown = element => element.getBoundingClientRect().width > 1;
  const cutWords = cutWordsIn([...document.querySelectorAll('main :is(h1, h2, h3, caption)')]
                              .filter(shown));
  const outOfSight = [...document.querySelectorAll('main caption')].filter(shown)
                                                                   .filter(caption => {
    const range = document.createRange();
    range.selectNodeContents(caption);
    return [...range.getClientRects()].some(
      box => box.right > document.documentElement.clientWidth + 1);
  }).map(caption => caption.textContent.trim().slice(0, 40));
  // An alert's sentences stand one under another, not side by side as columns.
  const sideBySide = [...document.querySelectorAll('.utrecht-alert')].filter(alert => {
    const tops = [...alert.children].map(child => child.getBoundingClientRect().top);
    return tops.some((top, index) => index > 0 && top <= tops[index - 1]);
  }).map(alert => alert.textContent.trim().slice(0, 40));
  // Text of a chart or map that runs past the edge of its drawing is cut off there.
  const cutText = [...document.querySelectorAll('main svg text')].filter(text => {
    const box = text.getBBox(), view = text.ownerSVGElement.viewBox.baseVal;
    return view && view.width > 0 && (box.x < view.x - 0.5
                                      || box.x + box.width > view.x + view.width + 0.5);
  }).map(text => text.textContent.trim().slice(0, 40));
  const loose = [...document.querySelectorAll('table')].filter(table => {
    const region = table.closest('[role=region][tabindex="0"]');
    const label = region && document.getElementById(region.getAttribute('aria-labelledby'));
    return !(label && label.textContent.trim()
             && getComputedStyle(region).overflowX === 'auto');
  }).map(table => (table.querySelector('caption') || table).textContent.trim().slice(0, 40));
  return {scrollWidth: document.documentElement.scrollWidth,
          h1Bottom: h1 ? h1.getBoundingClientRect().bottom + window.scrollY : null,
          looseTables: loose, cutWords, outOfSight, cutText, sideBySide};
}"""

# The words of the municipality's name in the header that are spread over two lines.
CUT_BRAND = """() => {""" + CUT_WORDS_IN + """
  return cutWordsIn(document.querySelectorAll('.wp-brand__text'));
}"""

# The focus style of the element that has the focus, and where it is.
FOCUS_STYLE = """() => {
  const element = document.activeElement, style = getComputedStyle(element);
  return {tag: element.tagName.toLowerCase(), type: element.type || '',
          role: element.getAttribute('role') || '',
          name: (element.textContent || element.name || '').trim().slice(0, 30),
          inFooter: !!element.closest('footer'), visible: element.matches(':focus-visible'),
          outline: [style.outlineStyle, style.outlineWidth].join(' '),
          colour: style.outlineColor};
}"""

# Endpoints that are no page of their own: files, redirects and the health checks.
NOT_PAGES = {
    "static", "site.healthz", "site.ping", "site.language", "site.processing_register",
    "residents.open_link", "residents.code_link", "residents.my_data",
    "meetings.meeting_ics", "meetings.area_ics", "results.wijk_csv", "results.gebied_csv",
    "results.municipality_csv", "results.overview_csv", "results.trend_csv",
    "identity.logo", "identity.favicon", "identity.theme_css",
}


@pytest.fixture(scope="module")
def phone(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    context = new_context(browser, live_server, viewport={"width": WIDTH, "height": HEIGHT})
    yield context
    context.close()


@pytest.fixture
def tab(phone: BrowserContext, csrf_enabled: None) -> Iterator[Page]:
    """A new tab of the module's phone, signed in as nobody."""
    phone.clear_cookies()
    page = phone.new_page()
    yield page
    page.close()


@pytest.fixture
def resident(session, demo) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A panel member of the demo with a letter code, a reply link to an upcoming meeting,
    a date poll and a meeting to rate; a leave link; and an invited resident's
    confirmation link."""
    now = utcnow()
    invitation = session.scalars(
        select(Invitation).join(Meeting).join(PanelMember)
        .where(Meeting.status == MeetingStatus.OPEN.value, Meeting.starts_at > now,
               Invitation.poll_only.is_(False),
               PanelMember.status == MemberStatus.MEMBER.value)
        .order_by(Invitation.id)).first()
    member = invitation.member
    reply_token, invitation.token_hash = new_token()
    poll = Meeting(area_id=member.neighbourhood.area_id, title="Welke avond past u?",
                   status=MeetingStatus.POLL.value, neighbourhoods=[member.neighbourhood],
                   slots=[PollSlot(starts_at=now + timedelta(days=days),
                                   ends_at=now + timedelta(days=days, hours=2))
                          for days in (20, 21)])
    past = session.scalars(select(Meeting).where(Meeting.starts_at < now)
                           .order_by(Meeting.id)).first()
    session.add(poll)
    session.flush()
    session.add_all([Invitation(meeting_id=poll.id, member_id=member.id, poll_only=True,
                                token_hash=new_token()[1]),
                     Evaluation(meeting_id=past.id, member_id=member.id)])
    invited = session.scalars(select(PanelMember).where(
        PanelMember.status == MemberStatus.INVITED.value).order_by(PanelMember.id)).first()
    world = {
        "code": new_short_code(member), "reply": reply_token,
        "meeting": str(invitation.meeting_id), "poll": str(poll.id), "past": str(past.id),
        "leave": issue_link(member, LinkPurpose.LEAVE, timedelta(days=1)),
        "confirm": issue_link(invited, LinkPurpose.CONFIRM, timedelta(days=1)),
        "wijk": member.neighbourhood.code, "gebied": member.neighbourhood.area.code,
    }
    session.commit()
    return world


def _resident_pages(world: dict[str, str]) -> tuple[list[tuple[str | None, str, int]],
                                                   list[tuple[str, str, int]]]:
    """(endpoint, address, status) of every page a resident sees: first those anyone may
    open, then those of a member signed in (after ``/mijn``, reached with the letter code)."""
    wijk, gebied, indicator = world["wijk"], world["gebied"], "onveilig_buurt"
    anyone = [
        ("site.home", "/", 200),
        ("site.privacy", "/privacy", 200),
        ("site.accessibility", "/toegankelijkheid", 200),
        ("signups.join", "/aanmelden", 200),
        ("signups.join_sent", "/aanmelden/verstuurd", 200),
        ("signups.confirm", f"/aanmelden/bevestigen/{world['confirm']}", 200),
        ("signups.confirm", "/aanmelden/bevestigen/verlopen", 410),
        ("signups.leave_by_link", f"/afmelden/{world['leave']}", 200),
        ("signups.left", "/afgemeld", 200),
        ("meetings.public_list", "/bijeenkomsten", 200),
        ("meetings.public_detail", f"/bijeenkomsten/{world['meeting']}", 200),
        ("meetings.reply", f"/antwoord/{world['reply']}", 200),
        ("meetings.reply", "/antwoord/verlopen", 410),
        ("results.municipality", "/uitkomsten", 200),
        ("results.overview", f"/uitkomsten/{indicator}", 200),
        ("results.overview_presentation", f"/uitkomsten/{indicator}/presentatie", 200),
        ("results.trend", f"/uitkomsten/{indicator}/ontwikkeling/{wijk}", 200),
        ("results.trend_presentation",
         f"/uitkomsten/{indicator}/ontwikkeling/{wijk}/presentatie", 200),
        ("results.index", "/wijken", 200),
        ("results.wijk", f"/wijken/{wijk}", 200),
        ("results.presentation", f"/wijken/{wijk}/presentatie", 200),
        ("results.gebied", f"/gebieden/{gebied}", 200),
        ("feedback.public_index", "/terugkoppeling", 200),
        ("feedback.public", f"/terugkoppeling/{wijk}", 200),
        ("residents.code", "/code", 200),
        ("residents.link_sent", "/mijn/link-verstuurd", 200),
        ("residents.my_page", "/mijn", 200),  # not signed in: asks for the email address
        (None, "/bestaat-niet", 404),
    ]
    member = [
        ("meetings.my_reply", f"/mijn/bijeenkomsten/{world['meeting']}", 200),
        ("meetings.poll_vote", f"/mijn/peiling/{world['poll']}", 200),
        ("feedback.give", "/mijn/melding", 200),
        ("feedback.evaluate", f"/mijn/evaluatie/{world['past']}", 200),
        ("residents.leave", "/mijn/afmelden", 200),
    ]
    return anyone, member


def _public_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and not rule.rule.startswith(("/beheer", "/api/"))
            and rule.endpoint not in NOT_PAGES}


def _open(page: Page, path: str, status: int = 200) -> None:
    """Go to ``path``, expect ``status``, and check the page with axe-core."""
    if status == 200:
        visit(page, path)
        return
    response = page.goto(path)
    assert response is not None and response.status == status, path
    check_accessibility(page)


def _measure(page: Page, path: str) -> list[str]:
    """What is wrong with the page the browser shows: its first heading below the first
    screen, a table outside a named scroll region, a word of a heading cut in two or a
    caption running off the screen, sideways scrolling at normal size or with the text at
    200 %."""
    problems = []
    normal = page.evaluate(MEASURE)
    if normal["h1Bottom"] is None or normal["h1Bottom"] > HEIGHT:
        problems.append(f"{path}: the first heading ends at {normal['h1Bottom']} px")
    if normal["looseTables"]:
        problems.append(f"{path}: tables outside a named scroll region {normal['looseTables']}")
    if normal["scrollWidth"] > WIDTH:
        problems.append(f"{path}: {normal['scrollWidth']} px wide")
    if normal["cutWords"]:
        problems.append(f"{path}: words cut in two in headings {normal['cutWords']}")
    if normal["outOfSight"]:
        problems.append(f"{path}: captions running off the screen {normal['outOfSight']}")
    if normal["cutText"]:
        problems.append(f"{path}: chart text cut off at its edge {normal['cutText']}")
    if normal["sideBySide"]:
        problems.append(f"{path}: an alert's sentences side by side {normal['sideBySide']}")
    page.add_style_tag(content=BIG_TEXT)
    if (wide := page.evaluate(MEASURE)["scrollWidth"]) > WIDTH:
        problems.append(f"{path}: {wide} px wide with the text at 200 %")
    if cut := page.evaluate(CUT_BRAND):  # the name goes under the logo instead
        problems.append(f"{path}: the header's name cut with the text at 200 % {cut}")
    return problems


def _sign_in_with_code(page: Page, code: str) -> None:
    visit(page, "/code")
    page.get_by_label("Uw code").fill(code)
    page.get_by_role("button", name="Open mijn pagina").click()
    expect(page).to_have_url(re.compile(r"/mijn$"))
    check_accessibility(page)


def test_every_resident_page_fits_a_phone_also_with_the_text_at_200_percent(
        tab: Page, resident: dict[str, str], app: Flask) -> None:
    anyone, member = _resident_pages(resident)
    listed = {endpoint for endpoint, _, _ in anyone + member} - {None}
    assert listed == _public_endpoints(app), \
        "each page residents see is listed here (or, when it is no page, in NOT_PAGES)"
    problems: list[str] = []
    for _, path, status in anyone:
        _open(tab, path, status)
        problems += _measure(tab, path)
    _sign_in_with_code(tab, resident["code"])
    problems += _measure(tab, "/mijn (signed in)")
    for _, path, status in member:
        _open(tab, path, status)
        problems += _measure(tab, path)
    assert problems == []


@pytest.fixture
def staff_pages(session, demo) -> list[str]:  # type: ignore[no-untyped-def]
    """Staff pages of every kind (lists, forms, tables, the report and its page to print)."""
    meeting = session.scalars(select(Meeting).order_by(Meeting.id)).first()
    member = session.scalars(select(PanelMember).order_by(PanelMember.id)).first()
    report = session.scalars(select(FollowUpReport).order_by(FollowUpReport.id)).first()
    user = session.scalars(select(User).order_by(User.id.desc())).first()
    area = meeting.area.code
    # A meeting that ended without its attendance: its page asks for it in an alert.
    unrecorded = session.scalars(select(Meeting).where(Meeting.closed_at.is_not(None))
                                 .order_by(Meeting.id)).first()
    unrecorded.closed_at = None
    session.commit()
    return [f"/beheer/bijeenkomsten/{unrecorded.id}",
        "/beheer/leden", f"/beheer/leden/{member.id}", f"/beheer/leden/{member.id}/bewerken",
        "/beheer/bijeenkomsten", f"/beheer/bijeenkomsten/{meeting.id}",
        f"/beheer/bijeenkomsten/{meeting.id}/bewerken", f"/beheer/gebieden/{area}",
        f"/beheer/gebieden/{area}/spreiding", "/beheer/meldingen", "/beheer/acties",
        "/beheer/moties/", f"/beheer/moties/rapportages/{report.id}",
        f"/beheer/moties/rapportages/{report.id}/afdruk", "/beheer/resultaten",
        "/beheer/indicatoren", "/beheer/audit", "/beheer/mail", "/beheer/accounts",
        f"/beheer/accounts/{user.id}", "/beheer/gemeente", "/beheer/toestemming",
        "/beheer/import", "/beheer/sessies",
    ]


def test_staff_pages_fit_a_phone_also_with_the_text_at_200_percent(
        tab: Page, staff_pages: list[str]) -> None:
    sign_in(tab, "beheer@demo.example")
    problems = _measure(tab, "/beheer/ (start)")
    for path in staff_pages:
        _open(tab, path)
        problems += _measure(tab, path)
    assert problems == []


def _focused(page: Page) -> dict[str, str]:
    return page.evaluate(FOCUS_STYLE)


def _tab_to(page: Page, tag: str, name: str) -> None:
    """Press Tab until the element ``tag`` named ``name`` has the focus."""
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if focused["tag"] == tag and focused["name"] == name:
            return
    raise AssertionError(f"Tab never reached <{tag}> {name!r}")


def _tab_through(page: Page, count: int) -> list[str]:
    names = []
    for _ in range(count):
        page.keyboard.press("Tab")
        names.append(_focused(page)["name"])
    return names


def test_the_menu_opens_and_is_followed_with_the_keyboard_alone(tab: Page, demo) -> None:  # type: ignore[no-untyped-def]
    visit(tab, "/")
    nav = tab.get_by_role("navigation", name="Hoofdmenu")
    meetings = nav.get_by_role("link", name="Bijeenkomsten")
    expect(meetings).to_be_hidden()
    heading = tab.get_by_role("heading", level=1)
    assert heading.bounding_box()["y"] < HEIGHT  # type: ignore[index]
    _tab_to(tab, "summary", "Menu")
    tab.keyboard.press("Enter")
    expect(meetings).to_be_visible()
    check_accessibility(tab)
    assert _tab_through(tab, 3) == ["Home", "Aanmelden", "Bijeenkomsten"]
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(re.compile(r"/bijeenkomsten$"))
    check_accessibility(tab)
    # The new page starts with the menu folded, marking where the resident is.
    expect(meetings).to_be_hidden()
    expect(nav.locator("[aria-current=page]")).to_have_text("Bijeenkomsten")
    _tab_to(tab, "summary", "Menu")
    tab.keyboard.press("Enter")
    expect(meetings).to_be_visible()
    tab.keyboard.press("Enter")  # and closes it again
    expect(meetings).to_be_hidden()


def test_the_staff_menu_opens_and_is_followed_with_the_keyboard_alone(tab: Page, demo) -> None:  # type: ignore[no-untyped-def]
    sign_in(tab, "team-noord@demo.example")
    staff = tab.get_by_role("navigation", name=STAFF_MENU)
    members = staff.get_by_role("link", name="Panelleden")
    expect(members).to_be_hidden()
    expect(staff.get_by_role("button", name="Uitloggen")).to_be_hidden()
    _tab_to(tab, "summary", STAFF_MENU)
    tab.keyboard.press("Space")
    expect(members).to_be_visible()
    check_accessibility(tab)
    _tab_to(tab, "a", "Panelleden")
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Panelleden")
    check_accessibility(tab)
    expect(staff.locator("[aria-current=page]")).to_have_text("Panelleden")
    _tab_to(tab, "summary", STAFF_MENU)
    tab.keyboard.press("Enter")
    _tab_to(tab, "button", "Uitloggen")
    tab.keyboard.press("Enter")
    expect(tab.get_by_text("U bent uitgelogd.")).to_be_visible()
    check_accessibility(tab)


def test_the_menus_work_without_javascript(browser: Browser, live_server: str, tab: Page,
                                           demo) -> None:  # type: ignore[no-untyped-def]
    """axe-core needs script: each page as the browser without script shows it (its menu
    open) is checked in the module's tab with the same HTML."""
    context = new_context(browser, live_server, java_script_enabled=False,
                          viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()

    def check_same_html() -> None:
        visit(tab, "/privacy")  # an address of the site, so the page's links resolve
        tab.set_content(page.content())
        check_accessibility(tab)

    page.goto("/")
    main_menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(main_menu.get_by_role("link", name="Uitkomsten")).to_be_hidden()
    main_menu.locator("summary").click()
    expect(main_menu.get_by_role("link", name="Uitkomsten")).to_be_visible()
    check_same_html()
    main_menu.get_by_role("link", name="Uitkomsten").click()
    expect(page).to_have_url(re.compile(r"/uitkomsten$"))

    page.goto("/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("griffie@demo.example")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    staff = page.get_by_role("navigation", name=STAFF_MENU)
    expect(staff.get_by_role("link", name="Moties")).to_be_hidden()
    staff.locator("summary").click()
    expect(staff.get_by_role("link", name="Moties")).to_be_visible()
    check_same_html()
    staff.get_by_role("link", name="Moties").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Moties")
    staff.locator("summary").click()
    staff.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    context.close()


def test_the_menus_show_as_a_row_on_a_wide_screen(browser: Browser, live_server: str,
                                                  demo) -> None:  # type: ignore[no-untyped-def]
    context = new_context(browser, live_server, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    visit(page, "/")
    nav = page.get_by_role("navigation", name="Hoofdmenu")
    expect(nav.locator("summary")).to_be_hidden()
    links = nav.get_by_role("link")
    expect(links).to_have_count(6)
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(6)) if box}
    assert len(tops) == 1, tops  # one row
    page.keyboard.press("Tab")  # the skip link, the brand, the languages, then the menu
    _tab_to(page, "a", "Home")
    context.close()


def test_one_focus_style_on_everything_that_takes_focus(tab: Page, resident) -> None:  # type: ignore[no-untyped-def]
    seen: list[dict[str, str]] = []
    for path in ("/aanmelden", f"/wijken/{resident['wijk']}"):
        visit(tab, path)
        menu(tab)  # the menu's links take the focus too
        for _ in range(60):
            tab.keyboard.press("Tab")
            focused = _focused(tab)
            if focused["tag"] == "body":
                break
            seen.append(focused)
    kinds = {(f["tag"], f["type"] if f["tag"] in ("input", "button") else f["role"]) for f in seen}
    assert {("a", ""), ("summary", ""), ("button", "submit"), ("input", "text"),
            ("input", "checkbox"), ("input", "radio"), ("div", "region")} <= kinds, kinds
    assert all(f["visible"] for f in seen)
    outlines = {f["outline"] for f in seen}
    assert len(outlines) == 1 and not outlines.pop().startswith("none"), seen
    # One colour too, but for the footer's links, drawn in the footer's text colour.
    assert len({f["colour"] for f in seen if not f["inFooter"]}) == 1, seen
