"""The quick select writes exactly what WTForms' own select widget writes."""

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectChoice, widgets

from panel.widgets import QuickSelect, SelectField

TRICKY = "<b>\"Ab\" & 'Co'</b>"


class ChoiceForm(Form):
    plain = SelectField(choices=[SelectChoice("", "Choose"), SelectChoice("a", TRICKY),
                                 SelectChoice("b&c", "B & C")])
    grouped = SelectField(choices=[], validate_choice=False)
    flags = SelectField(choices=[SelectChoice(True, "Yes"), SelectChoice(False, "No")],
                        coerce=lambda v: v in (True, "True"))
    marked = SelectField(choices=[SelectChoice("x", "X", render_kw={"disabled": True}),
                                  SelectChoice("y", "")])


@pytest.mark.parametrize("data", [{}, {"plain": "a", "grouped": "W2", "flags": "False",
                                       "marked": "y"}, {"plain": "b&c", "grouped": "zzz"}])
@pytest.mark.parametrize("attributes", [{}, {"class": "utrecht-select", "required": True,
                                             "aria-describedby": "x-hint"}])
def test_the_select_is_what_wtforms_wrote(data, attributes):
    form = ChoiceForm(MultiDict(data))
    form.grouped.choices = [SelectChoice("", "All")] + [
        SelectChoice(v, label, optgroup=group) for v, label, group in [
            ("W1", TRICKY, "Noord & Oost"), ("W2", "Wijk 2", "Noord & Oost"),
            ("W3", "<3>", "Zuid"), ("W4", "'4'", None)]]
    for field in form:
        assert isinstance(field.widget, QuickSelect)
        assert str(field(**attributes)) == str(widgets.Select()(field, **attributes))
    assert ('<option selected value="W2">' in str(form.grouped())) == (data.get("grouped") == "W2")
