"""Form fields shared by several domains, and the ``<option>`` tags they write."""

from typing import Any

from markupsafe import Markup, escape
from wtforms import SelectField as _WTFormsSelectField
from wtforms import SelectMultipleField, widgets
from wtforms.fields.choices import Choice


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (usable with keyboard and screen
    reader, unlike a multi-select box)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def option_tag(value: object, label: object, selected: bool) -> str:
    """One ``<option>``, escaped, as WTForms writes it."""
    chosen = "selected " if selected else ""
    return f'<option {chosen}value="{escape(value)}">{escape(label)}</option>'


def option_tags(choices: list[tuple[str, str, str | None]], chosen: str | None) -> Markup:
    """The ``<option>``s of a select: ``(value, label, optgroup)`` with consecutive options
    of the same optgroup in one ``<optgroup>``, the ``chosen`` value selected, as
    :class:`QuickSelect` writes them (for selects a template writes itself)."""
    out, group = [], None
    for value, label, optgroup in choices:
        if optgroup != group:
            if group is not None:
                out.append("</optgroup>")
            if optgroup is not None:
                out.append(f'<optgroup label="{escape(optgroup)}">')
            group = optgroup
        out.append(option_tag(value, label, value == chosen))
    if group is not None:
        out.append("</optgroup>")
    return Markup("".join(out))  # noqa: S704 (every value above is escaped)


class QuickSelect(widgets.Select):
    """WTForms' ``<select>`` with the same HTML, written with one f-string an option and an
    optgroup instead of a signature check and an attribute dictionary each: a list of a
    hundred wijken in twenty gebieden took several milliseconds, on every request of the
    join form. Options with attributes of their own go through WTForms."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        if self.multiple:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        html = [f"<select {widgets.html_params(name=field.name, **kwargs)}>"]
        groups = field.iter_groups() if field.has_groups() else [(None, field.iter_choices())]
        for optgroup, choices in groups:
            if optgroup is not None:
                html.append(f'<optgroup label="{escape(optgroup)}">')
            html += [self.render_option(choice) for choice in choices]
            if optgroup is not None:
                html.append("</optgroup>")
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704 (every value above is escaped)

    @classmethod
    def render_option(cls, choice: Choice, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        return Markup(option_tag(value, choice.label or choice.value,  # noqa: S704 (escaped)
                                 choice.selected))


class SelectField(_WTFormsSelectField):
    """WTForms' SelectField written by :class:`QuickSelect`."""

    widget = QuickSelect()
