"""Forms for signing in, setting a password and managing staff accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from panel.auth.models import Role
from panel.widgets import MultiCheckboxField

ROLE_LABELS = {
    Role.ADMIN.value: _l("Administrator"),
    Role.TEAM.value: _l("Area team"),
    Role.CLERK.value: _l("Clerk's office (griffie)"),
}
ROLE_CHOICES = [SelectChoice(value, label) for value, label in ROLE_LABELS.items()]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Fill in your email "
                                                                          "address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Fill in your "
                                                                         "password."))])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A sentence of a few words is easy to "
                       "remember."),
        validators=[DataRequired(_l("Fill in a password.")), Length(min=12, max=200,
                    message=_l("Use between 12 and 200 characters."))],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(_l("Repeat the password.")),
                    EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class UserForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Fill in an email "
                                                                          "address."))])
    name = StringField(_l("Name"), validators=[Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    areas = MultiCheckboxField(_l("Gebieden (for area team members)"), choices=[])


class EditUserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    areas = MultiCheckboxField(_l("Gebieden (for area team members)"), choices=[])
    active = BooleanField(_l("This account may sign in"))
