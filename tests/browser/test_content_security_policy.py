"""The pages work under the strict Content-Security-Policy: nothing is blocked."""

from __future__ import annotations


def test_no_page_needs_inline_script_or_style(browser, live_server, demo):
    context = browser.new_context(base_url=live_server)  # no bypass: the real policy applies
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    for path in ("/", "/aanmelden", "/bijeenkomsten", "/wijken/WK036101",
                 "/wijken/WK036101/presentatie", "/terugkoppeling/WK036101", "/mijn",
                 "/beheer/inloggen"):
        response = page.goto(path)
        assert response is not None and response.ok
        assert "default-src 'self'" in response.headers["content-security-policy"]
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != ""
    assert blocked == []
    context.close()
