"""Forms for signing in (password and code), passwords, two-step login and staff accounts."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from panel.auth.models import Role
from panel.forms import FlaskForm
from panel.widgets import MultiCheckboxField, SelectField

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


PASSWORD_HINT = _l("At least 12 characters. A sentence of a few words is easy to remember. "
                   "Do not use a password that you use somewhere else.")


class SetPasswordForm(FlaskForm):
    """A new password, typed twice (also the base of changing one's own password)."""

    password = PasswordField(
        _l("New password"), description=PASSWORD_HINT,
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
    # No role is chosen beforehand: an account saved without a look at it must not be an
    # administrator's.
    role = SelectField(_l("Role"), choices=[SelectChoice("", _l("Choose a role")),
                                            *ROLE_CHOICES],
                       validators=[DataRequired(_l("Choose a role."))])
    areas = MultiCheckboxField(_l("Gebieden (for area team members)"), choices=[])


class EditUserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    areas = MultiCheckboxField(_l("Gebieden (for area team members)"), choices=[])
    active = BooleanField(_l("This account may sign in"))


class CodeForm(FlaskForm):
    """The second step of signing in: a code from the app, or a recovery code."""

    code = StringField(
        _l("Code"),
        description=_l("The 6-digit code from your authenticator app. Lost your phone? Type "
                       "one of your recovery codes."),
        validators=[DataRequired(_l("Fill in the code.")), Length(max=40)],
    )


class EnrolForm(FlaskForm):
    """The first code from the app, to confirm that it was set up correctly."""

    code = StringField(
        _l("Code from the app"),
        description=_l("The app shows a new code of 6 digits every 30 seconds."),
        validators=[DataRequired(_l("Fill in the code.")), Length(max=40)],
    )


class ConfirmPasswordForm(FlaskForm):
    """Type the password again before a sensitive action, or to turn two-step login off."""

    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Fill in your "
                                                                         "password."))])


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(_l("Current password"),
                            validators=[DataRequired(_l("Fill in your current password."))])


class ForgottenPasswordForm(FlaskForm):
    """The email address of the account that needs a new password."""

    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Fill in your email address.")), Length(max=254)])
