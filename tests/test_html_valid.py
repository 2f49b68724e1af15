"""Every page is valid HTML according to the Nu Html Checker (the W3C validator).

In the demo municipality a visitor, a resident and every staff role open every page
without arguments and follow the links of each page they get (a few addresses per kind of
page), search and filter forms as they come (with a word that finds nothing), everyone
sends every form that answers on its own page back empty and then with nonsense in its
text inputs (to see the form with its errors), and a visitor opens the pages for unknown
links and addresses. An English visitor and administrator open one address of each kind.
The served HTML of all of them (not a browser's DOM) goes through one run of the checker
(``tests/html_validator.py``): any error or warning fails the test, with the page and the
message. The pages the browser tests visit are checked the same way
(``tests/browser/conftest.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from panel.demo.services import DEMO_PASSWORD, seed_demo
from panel.meetings.models import Reply
from panel.signups.models import PanelMember
from panel.signups.residents import RESIDENT
from tests.html_validator import report, validate

STAFF = {"admin": "beheer@demo.example", "clerk": "griffie@demo.example",
         "team": "team-noord@demo.example"}
PER_KIND = 3  # addresses of one kind of page (one endpoint) a visitor opens
NOT_FOLLOWED = {"static", "site.language", "site.ping", "site.healthz"}
# Pages whose link is unknown, used or wrong: their error pages must be valid too.
WRONG_ADDRESSES = ["/bestaat-niet", "/afmelden/onbekend", "/antwoord/onbekend",
                   "/mijn/link/onbekend", "/aanmelden/bevestigen/onbekend", "/code/ZZZZ-ZZZZ",
                   "/beheer/wachtwoord/onbekend", "/bijeenkomsten/999999"]
CANARY = "(a page with a known error)"
CANARY_HTML = ('<!DOCTYPE html><html lang="nl"><head><title>x</title></head>'
               '<body><p id="a">1 < 5</p><p id="a"></p></body></html>')


class Crawl:
    """The pages a set of visitors got, by name ``role path (status)``."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.adapter = app.url_map.bind("wijkpanel.test")
        self.pages: dict[str, str] = {}
        self._kept: set[str] = set()  # a page another visitor got the same is checked once
        self.visited: set[str] = set()  # who got pages
        # (role, client, path, (the form's hidden fields, the CSRF token among them, and
        # the names of its text inputs))
        self.forms: list[tuple[str, FlaskClient, str, tuple[dict[str, str], list[str]]]] = []

    def endpoint(self, path: str) -> str | None:
        try:
            return self.adapter.match(urlsplit(path).path, method="GET")[0]
        except Exception:  # noqa: BLE001 - not a page of the app
            return None

    def visit(self, role: str, client: FlaskClient, starts: Iterable[str],
              per_kind_most: int = PER_KIND) -> None:
        queue = list(starts)
        seen: set[str] = set()
        per_kind: Counter[str | None] = Counter()
        while queue:
            path = queue.pop(0)
            endpoint = self.endpoint(path)
            if path in seen or endpoint in NOT_FOLLOWED or per_kind[endpoint] >= per_kind_most:
                continue
            seen.add(path)
            per_kind[endpoint] += 1
            answer = client.get(path)
            if answer.mimetype != "text/html" or answer.status_code in (301, 302, 303):
                continue
            html = answer.get_data(as_text=True)
            self.keep(f"{role} {path} ({answer.status_code})", html)
            soup = BeautifulSoup(html, "html.parser")
            targets = [str(link["href"]) for link in soup.find_all("a", href=True)]
            targets += [self._search(form) for form in soup.find_all("form")
                        if str(form.get("method", "get")).lower() == "get"]
            for href in targets:
                target = urljoin(path, href)
                parts = urlsplit(target)
                if parts.netloc or parts.scheme or not parts.path.startswith("/"):
                    continue
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
            form = self._own_form(soup, path)
            if form is not None:
                self.forms.append((role, client, path, form))

    @staticmethod
    def _search(form: Tag) -> str:
        """The address a search or filter form leads to as it is filled in, with a word
        that finds nothing in its empty text fields (the page's "nothing found")."""
        query = []
        for field in form.find_all(["input", "select"], attrs={"name": True}):
            name, kind = str(field["name"]), field.get("type", "text")
            if field.name == "select":
                chosen = field.find("option", selected=True) or field.find("option")
                query.append((name, str(chosen.get("value", "")) if chosen else ""))
            elif kind in ("checkbox", "radio"):
                if field.has_attr("checked"):
                    query.append((name, str(field.get("value", "on"))))
            elif kind not in ("submit", "button", "image", "reset"):
                query.append((name, str(field.get("value") or "zzqx")))
        return f"{str(form.get('action') or '').split('#')[0]}?{urlencode(query)}"

    @staticmethod
    def _own_form(soup: BeautifulSoup, path: str) -> tuple[dict[str, str], list[str]] | None:
        """The hidden fields and the names of the text inputs of a form posted to the page
        itself with fields to fill in (not only buttons); None when there is none."""
        for form in soup.find_all("form"):
            if str(form.get("method", "get")).lower() != "post":
                continue
            if form.get("action") not in (None, "", path):
                continue
            fields = form.find_all(["textarea", "select"]) + [
                field for field in form.find_all("input")
                if field.get("type") not in ("hidden", "submit", "button")]
            if fields:
                hidden = {str(field["name"]): str(field.get("value", ""))
                          for field in form.find_all("input", type="hidden",
                                                     attrs={"name": True})}
                typed = [str(field["name"]) for field in fields
                         if field.has_attr("name") and field.name != "select"
                         and field.get("type", "text") not in ("checkbox", "radio", "file")]
                return hidden, typed
        return None

    def send_forms(self) -> None:
        """Each form once per kind of page, sent with only its hidden fields, and then with
        a word that is no date, number, address or code in every text input: the page
        again, with the errors. A form that takes what it got redirects: no page to check."""
        done: set[str | None] = set()
        for role, client, path, (hidden, typed) in self.forms:
            endpoint = self.endpoint(path)
            if endpoint in done:
                continue
            done.add(endpoint)
            for how, data in (("empty", hidden),
                              ("wrong", {**hidden, **dict.fromkeys(typed, "zz,q 25:99")})):
                answer = client.post(path, data=data)
                if answer.mimetype == "text/html" and answer.status_code not in (301, 302, 303):
                    self.keep(f"{role} POST {how} {path} ({answer.status_code})",
                              answer.get_data(as_text=True))

    def keep(self, name: str, html: str) -> None:
        self.visited.add(name.split()[0])
        if html not in self._kept:
            self._kept.add(html)
            self.pages[name] = html


def _pages_without_arguments(app: Flask) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in (rule.methods or ()) and not rule.arguments
                  and rule.endpoint not in NOT_FOLLOWED)


@pytest.fixture
def demo(session) -> None:  # type: ignore[no-untyped-def]
    seed_demo()
    session.commit()


def test_every_page_of_every_role_is_valid_html(app: Flask, demo, session, login_as,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    staff = {role: login_as(email, password=DEMO_PASSWORD) for role, email in STAFF.items()}
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the forms as served
    crawl = Crawl(app)
    starts = _pages_without_arguments(app)
    crawl.visit("visitor", app.test_client(), [*starts, *WRONG_ADDRESSES])
    # A member with an email address who came to a past meeting.
    member = session.scalars(select(PanelMember).join(Reply).where(
        Reply.attended.is_(True), PanelMember.email.is_not(None))
        .order_by(PanelMember.id)).first()
    resident = app.test_client()
    with resident.session_transaction() as cookie:
        cookie[RESIDENT] = member.id
    crawl.visit("resident", resident, ["/mijn", *starts])
    for role, client in staff.items():
        crawl.visit(role, client, ["/beheer/", *starts])
    for role, client in (("visitor-en", app.test_client()), ("admin-en", staff["admin"])):
        client.get("/taal/en")
        crawl.visit(role, client, ["/beheer/", *starts], per_kind_most=1)
    crawl.send_forms()
    assert crawl.visited == {"visitor", "resident", *STAFF, "visitor-en", "admin-en"}
    assert len(crawl.pages) > 300, sorted(crawl.pages)

    problems = validate({**crawl.pages, CANARY: CANARY_HTML})
    # The canary shows that the checker ran and that its answer was read.
    assert {p.page for p in problems} >= {CANARY}
    problems = [p for p in problems if p.page != CANARY]
    assert not problems, report(problems)


def test_every_form_writes_its_csrf_token_without_an_id(app: Flask,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A page with several forms would otherwise hold the id ``csrf_token`` several times."""
    import flask_wtf

    import panel.forms

    def subclasses(cls: type) -> set[type]:
        return {cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))}

    forms = {cls for cls in subclasses(flask_wtf.FlaskForm) if cls.__module__.startswith("panel.")}
    assert len(forms) > 40
    assert [cls.__qualname__ for cls in forms
            if not issubclass(cls, panel.forms.FlaskForm)] == []
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with app.test_request_context():
        tag = str(panel.forms.FlaskForm().hidden_tag())
    assert 'name="csrf_token"' in tag and "id=" not in tag


def test_a_value_that_html_does_not_allow_is_not_written_back(app: Flask) -> None:
    """Dates, times and numbers that are none are written empty (as a browser shows them);
    a web address that is none stays visible, in a text input."""
    from werkzeug.datastructures import MultiDict
    from wtforms import DateField, IntegerField, TimeField, URLField

    import panel.forms

    class Form(panel.forms.FlaskForm):
        class Meta:
            csrf = False

        day = DateField()
        start = TimeField()
        count = IntegerField()
        link = URLField()

    def rendered(**sent: str) -> dict[str, str]:
        with app.test_request_context():
            form = Form(MultiDict(sent))
            return {name: str(form[name]()) for name in ("day", "start", "count", "link")}

    wrong = rendered(day="2026-02-30", start="25:99", count="12,5", link="www.example.nl")
    assert 'type="date" value=""' in wrong["day"]
    assert 'type="time" value=""' in wrong["start"]
    assert 'type="number" value=""' in wrong["count"]
    assert 'type="text"' in wrong["link"] and 'value="www.example.nl"' in wrong["link"]
    right = rendered(day="2026-02-28", start="19:30", count="12", link="https://example.nl")
    assert 'type="date" value="2026-02-28"' in right["day"]
    assert 'type="time" value="19:30"' in right["start"]
    assert 'type="number" value="12"' in right["count"]
    assert 'type="url" value="https://example.nl"' in right["link"]
