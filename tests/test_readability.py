"""Dutch resident pages read at B1 level.

Every public and resident page is visited in Dutch with the demo municipality loaded, and
the running text of its ``<main>`` is scored with the Flesch-Douma formula (the Dutch
Flesch reading ease): ``206.835 - 0.93 * words per sentence - 77 * syllables per word``.
B1 starts around 60, so:

- the page as a whole scores at least ``PAGE_MINIMUM`` (60);
- no text block long enough to score on its own (``BLOCK_WORDS``, 10 words or more) scores
  under ``BLOCK_MINIMUM`` (50). Shorter blocks (headings, labels, a short sentence or two)
  count for the page only: in fewer words one long word (a name, "veiligheidsmonitor")
  decides the score, and the formula says little.

Running text is what a resident reads: paragraphs, list items, headings, descriptions,
quotes and the texts of form fields (hints, legends, labels of three words or more). Not
counted: tables and charts (figures with their labels), lines without a word (numbers,
dates), form labels of one or two words, buttons, and the language switch.

Syllables come from Pyphen's Dutch hyphenation dictionary (the one LibreOffice uses): the
number of hyphenation points of a word plus one. Words and sentences are counted here, as
the formula defines them: a word is a run of letters or digits (``e-mailadres`` and
``7,3`` are one word each), and a block (a heading, a list item, a paragraph) always ends a
sentence; inside a block a sentence ends at ``.``, ``!`` or ``?`` followed by a space.
``textstat`` was not used: its Dutch sentence count drops every sentence of two words or
fewer (and would run a heading into the paragraph after it), and it downloads an English
dictionary at run time.

Slides and downloads are not held to the score (``EXEMPT`` says why) and are not visited.

Run it alone with ``.venv/bin/python -m pytest tests/test_readability.py -q``; a failing
page is printed with its score, its blocks under the minimum (marked ``!``) and its other
hardest blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pyphen
import pytest
from bs4 import BeautifulSoup, NavigableString, Tag
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from panel.db import db
from panel.demo.services import seed_demo
from panel.feedback.models import Evaluation
from panel.meetings.models import Invitation, Meeting
from panel.results.models import Indicator
from panel.security import new_token
from panel.signups import services as signups
from panel.signups.models import LinkPurpose, MemberStatus, PanelMember

PAGE_MINIMUM = 60
BLOCK_MINIMUM = 50
BLOCK_WORDS = 10

# Pages that are not held to the score, with the reason.
EXEMPT = {
    "/wijken/<code>/presentatie": "slides: one figure and its label each, read aloud by staff",
    "/uitkomsten/<code>/presentatie": "a slide: the map with figures and their labels",
    "/uitkomsten/<code>/ontwikkeling/<area>/presentatie":
        "a slide: a chart with years and figures",
    "/uitkomsten/<code>/ontwikkeling/<area>.csv and other downloads": "data files, not pages",
}

_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "blockquote",
           "figcaption", "caption", "label", "legend", "summary", "div", "section"}
_SKIPPED = {"table", "svg", "script", "style", "button", "select", "option", "textarea",
            "template", "noscript"}
_SHORT_LABELS = {"label", "legend", "dt", "summary"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[^\W\d_]{2,}")
_TOKEN = re.compile(r"[^\W_]+(?:[-'’.,][^\W_]+)*")
_HYPHENATION = pyphen.Pyphen(lang="nl_NL")


@dataclass
class Block:
    text: str
    sentences: int
    words: int
    syllables: int

    @property
    def score(self) -> float:
        return douma(self.words, self.sentences, self.syllables)

    @property
    def scores_alone(self) -> bool:
        return self.words >= BLOCK_WORDS


@dataclass
class PageScore:
    path: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def score(self) -> float:
        return douma(sum(b.words for b in self.blocks), sum(b.sentences for b in self.blocks),
                     sum(b.syllables for b in self.blocks))

    def hard_blocks(self) -> list[Block]:
        return sorted((b for b in self.blocks if b.scores_alone and b.score < BLOCK_MINIMUM),
                      key=lambda b: b.score)

    def report(self) -> str:
        """The page's score, its blocks under the minimum (marked ``!``) and then its other
        hardest blocks, five in all."""
        hard = self.hard_blocks()
        others = sorted((b for b in self.blocks if b.words >= 5 and b not in hard),
                        key=lambda b: b.score)
        lines = [f"{self.path}: {self.score:.0f} (page minimum {PAGE_MINIMUM}, blocks of "
                 f"{BLOCK_WORDS} words or more at least {BLOCK_MINIMUM})"]
        lines += [f"  ! {b.score:5.0f}  {b.text[:160]}" for b in hard]
        lines += [f"    {b.score:5.0f}  {b.text[:160]}" for b in others[:max(0, 5 - len(hard))]]
        return "\n".join(lines)


def douma(words: int, sentences: int, syllables: int) -> float:
    """The Flesch-Douma reading ease (the Dutch Flesch formula)."""
    if not words or not sentences:
        return 100.0
    return 206.835 - 0.93 * words / sentences - 77 * syllables / words


def score_block(text: str) -> Block:
    sentences = [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]
    words = _TOKEN.findall(text)
    return Block(text=text, sentences=max(1, len(sentences)), words=len(words),
                 syllables=sum(syllables(word) for word in words))


def syllables(word: str) -> int:
    """The syllables of one word: its Dutch hyphenation points plus one (per part of a
    compound written with a hyphen)."""
    return sum(len(_HYPHENATION.positions(part)) + 1
               for part in re.split(r"[-'’.,]", word.lower()) if part)


def _block_of(node: NavigableString, main: Tag) -> Tag | None:
    """The nearest block around a piece of text, or None when it is not running text."""
    block = None
    for parent in node.parents:
        if parent is main:
            break
        if parent.name in _SKIPPED or parent.get("lang") not in (None, "nl"):
            return None
        if "utrecht-form-field__input" in parent.get("class", []) \
                or parent.get("aria-hidden") == "true" or parent.has_attr("hidden"):
            return None
        if block is None and parent.name in _BLOCKS:
            block = parent
    return block or main


def running_text(html: str) -> list[Block]:
    """The text blocks of the page's ``<main>``, as a resident reads them."""
    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main")
    assert isinstance(main, Tag), "every page has a <main>"
    texts: dict[int, tuple[Tag, list[str]]] = {}
    for node in main.find_all(string=True):
        if not isinstance(node, NavigableString) or type(node) is not NavigableString:
            continue  # comments and the like
        block = _block_of(node, main)
        if block is not None and node.strip():
            texts.setdefault(id(block), (block, []))[1].append(node.strip())
    blocks = []
    for tag, parts in texts.values():
        text = re.sub(r"\s+", " ", " ".join(parts)).strip()
        words = _WORD.findall(text)
        if not words:
            continue  # numbers, dates, signs
        if tag.name in _SHORT_LABELS and len(words) <= 2:
            continue
        blocks.append(score_block(text))
    return blocks


# --- the pages ------------------------------------------------------------------------------

@pytest.fixture
def demo(app: Flask, session) -> None:  # type: ignore[no-untyped-def]
    seed_demo()
    db.session.commit()


def _member(status: MemberStatus) -> PanelMember:
    return db.session.scalars(
        select(PanelMember).where(PanelMember.status == status.value,
                                  PanelMember.email.is_not(None),
                                  PanelMember.language == "nl")
        .order_by(PanelMember.id)).first()


def _link(member: PanelMember, purpose: LinkPurpose) -> str:
    token = signups.issue_link(member, purpose, timedelta(days=1))
    db.session.commit()
    return token


def _dutch(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.get("/taal/nl")
    return client


def _page(response: TestResponse, status: int = 200) -> str:
    assert response.status_code == status, (response.request.path, response.status_code)
    return response.get_data(as_text=True)


def public_pages(app: Flask) -> Iterator[tuple[str, str]]:
    """(path, html) of every public page, in Dutch."""
    client = _dutch(app)
    meeting_id = db.session.scalars(select(Meeting.id).order_by(Meeting.starts_at.desc())).first()
    past_id = db.session.scalars(select(Meeting.id).order_by(Meeting.starts_at)).first()
    indicator = db.session.scalars(select(Indicator.code).order_by(Indicator.id)).first()
    paths = ["/", "/aanmelden", "/aanmelden/verstuurd", "/bijeenkomsten",
             f"/bijeenkomsten/{meeting_id}", f"/bijeenkomsten/{past_id}", "/wijken",
             "/wijken/WK036101", "/wijken/WK036109", "/uitkomsten", f"/uitkomsten/{indicator}",
             f"/uitkomsten/{indicator}/ontwikkeling/WK036101", "/gebieden/noord",
             "/terugkoppeling", "/terugkoppeling/WK036101", "/terugkoppeling/WK036102",
             "/mijn", "/mijn/link-verstuurd", "/privacy", "/toegankelijkheid", "/code",
             "/afgemeld", "/bestaat-niet"]
    for path in paths:
        yield path, _page(client.get(path), 404 if path == "/bestaat-niet" else 200)
    # Joining with a postcode that is not known: the form asks for the wijk.
    response = client.post("/aanmelden", data={
        "name": "Piet Jansen", "email": "piet@example.org", "phone": "", "postcode": "9999 ZZ",
        "house_number": "1", "neighbourhood": "", "language": "nl",
        "statement_version": "2026-1", "consent": "y"})
    yield "/aanmelden (postcode unknown)", _page(response)
    # Links that no longer work, and a wrong code.
    yield "/aanmelden/bevestigen/<gone>", _page(client.get("/aanmelden/bevestigen/gone"), 410)
    yield "/afmelden/<gone>", _page(client.get("/afmelden/gone"), 410)
    yield "/code (wrong code)", _page(client.post("/code", data={"code": "ABCD-EFGH"}))


def resident_pages(app: Flask) -> Iterator[tuple[str, str]]:
    """(path, html) of the pages a resident reaches with a personal link, in Dutch."""
    invited = _member(MemberStatus.INVITED)
    client = _dutch(app)
    confirm = f"/aanmelden/bevestigen/{_link(invited, LinkPurpose.CONFIRM)}"
    yield "/aanmelden/bevestigen/<token>", _page(client.get(confirm))
    response = client.post(confirm, data={"statement_version": "2026-1", "consent": "y"},
                           follow_redirects=True)
    yield "/mijn (just confirmed)", _page(response)

    member = _member(MemberStatus.MEMBER)
    client = _dutch(app)
    response = client.get(f"/mijn/link/{_link(member, LinkPurpose.ACCESS)}",
                          follow_redirects=True)
    yield "/mijn (opened with a link)", _page(response)
    meeting_id = db.session.scalars(
        select(Meeting.id).where(Meeting.area_id == member.neighbourhood.area_id)
        .order_by(Meeting.starts_at.desc())).first()
    for path in (f"/mijn/bijeenkomsten/{meeting_id}", "/mijn/melding", "/mijn/afmelden"):
        yield path, _page(client.get(path))
    # The reply link from an invitation, and the rating asked after a meeting.
    invitation = db.session.scalars(select(Invitation).where(
        Invitation.member_id == member.id, Invitation.meeting_id == meeting_id)).one()
    token, invitation.token_hash = new_token()
    past_id = db.session.scalars(
        select(Meeting.id).where(Meeting.area_id == member.neighbourhood.area_id)
        .order_by(Meeting.starts_at)).first()
    db.session.add(Evaluation(meeting_id=past_id, member_id=member.id))
    db.session.commit()
    yield "/antwoord/<token>", _page(_dutch(app).get(f"/antwoord/{token}"))
    yield "/mijn/evaluatie/<id>", _page(client.get(f"/mijn/evaluatie/{past_id}"))
    leave = f"/afmelden/{_link(member, LinkPurpose.LEAVE)}"
    yield "/afmelden/<token>", _page(client.get(leave))


def scores(pages: Iterator[tuple[str, str]]) -> list[PageScore]:
    return [PageScore(path, running_text(html)) for path, html in pages]


def assert_readable(pages: list[PageScore]) -> None:
    empty = [page.path for page in pages if not page.blocks]
    assert not empty, f"pages without running text: {empty}"
    failing = [page for page in pages if page.score < PAGE_MINIMUM or page.hard_blocks()]
    if failing:
        pytest.fail("Dutch pages below B1:\n" + "\n".join(p.report() for p in failing),
                    pytrace=False)


# --- the tests -------------------------------------------------------------------------------

def test_the_formula_is_flesch_douma():
    block = score_block("De kat zit op de mat. Hij slaapt.")
    assert (block.words, block.sentences, block.syllables) == (8, 2, 8)
    assert block.score == pytest.approx(206.835 - 0.93 * 4 - 77 * 1)
    hard = score_block("Het gemeentelijk veiligheidsbeleid wordt geëvalueerd op basis van "
                       "periodieke representatieve bevolkingsonderzoeken en "
                       "registratiegegevens van politie en hulpverleningsinstanties.")
    assert hard.scores_alone and hard.score < BLOCK_MINIMUM


def test_running_text_leaves_out_tables_numbers_and_short_labels():
    html = """<main><h1>Uw wijk</h1><p>Hier staat gewone tekst. Nog een zin.</p>
    <table><tr><td>Een tabel met heel veel lange woorden</td></tr></table>
    <p>7,3</p><label>E-mailadres</label><label>Wat wilt u ons vertellen?</label>
    <ul><li>Eerste punt</li></ul><p lang="en">An English quote</p><svg><text>Grafiek</text></svg>
    </main>"""
    texts = [b.text for b in running_text(html)]
    assert texts == ["Uw wijk", "Hier staat gewone tekst. Nog een zin.",
                     "Wat wilt u ons vertellen?", "Eerste punt"]


def test_a_hard_page_fails_with_its_score_and_worst_blocks():
    page = PageScore("/moeilijk", running_text(
        "<main><p>Het gemeentelijk veiligheidsbeleid wordt geëvalueerd op basis van "
        "periodieke representatieve bevolkingsonderzoeken.</p></main>"))
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_readable([page])
    assert "/moeilijk:" in str(failure.value)
    assert "veiligheidsbeleid" in str(failure.value)


def test_public_pages_read_at_b1(app, demo):
    assert_readable(scores(public_pages(app)))


def test_resident_pages_read_at_b1(app, demo):
    assert_readable(scores(resident_pages(app)))


def test_the_429_page_reads_at_b1(app, demo, rate_limits):
    client = _dutch(app)
    responses = [client.post("/code", data={"code": "ABCD-EFGH"}) for _ in range(12)]
    assert responses[-1].status_code == 429
    assert_readable(scores(iter([("429", responses[-1].get_data(as_text=True))])))
