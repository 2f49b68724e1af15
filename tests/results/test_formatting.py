"""Figures are written as Babel writes them, in both languages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from flask_babel import force_locale
from hypothesis import given, settings
from hypothesis import strategies as st

from panel.results.formatting import _write, count_text

numbers = st.decimals(min_value=-10**7, max_value=10**7, allow_nan=False,
                      allow_infinity=False, places=3)


@pytest.mark.parametrize("language", ["nl", "en"])
@settings(max_examples=300, deadline=None)
@given(number=numbers, places=st.integers(min_value=0, max_value=3), grouping=st.booleans())
def test_a_figure_is_written_as_babel_writes_it(app, language, number, places, grouping):
    rounded = number.quantize(Decimal(1).scaleb(-places))
    pattern = ("#,##0" if grouping else "0") + ("." + "0" * places if places else "")
    with app.test_request_context("/"), force_locale(language):
        expected = format_decimal(rounded, pattern, locale=language)
        assert _write(rounded, places, grouping) == expected


def test_counts_have_the_languages_separators(app):
    with app.test_request_context("/"):
        assert count_text(1234567) == "1.234.567"
        assert count_text(None) == ""
        with force_locale("en"):
            assert count_text(1234567) == "1,234,567"
