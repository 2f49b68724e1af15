"""Wijkpanel: resident panels on local safety for Dutch municipalities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from panel.api import views as api_views
from panel.areas import cli as areas_cli
from panel.areas import views as areas_views
from panel.auth import cli as auth_cli
from panel.auth import sessions as auth_sessions
from panel.auth import views as auth_views
from panel.config import DEFAULT_INSTANCE_PATH, PROJECT_ROOT, load_settings
from panel.db import db as database
from panel.demo import cli as demo_cli
from panel.errors import register_error_handlers
from panel.extensions import babel, csrf, limiter, login_manager
from panel.feedback import views as feedback_views
from panel.i18n import register_template_helpers, select_locale
from panel.logging import configure_logging
from panel.mail import cli as mail_cli
from panel.mail import views as mail_views
from panel.meetings import cli as meetings_cli
from panel.meetings import views as meetings_views
from panel.migrations import register_commands as register_migration_commands
from panel.motions import views as motions_views
from panel.privacy import cli as privacy_cli
from panel.privacy import views as privacy_views
from panel.residents import views as residents_views
from panel.results import cli as results_cli
from panel.results import views as results_views
from panel.security import add_security_headers
from panel.setup import views as setup_views
from panel.signups import cli as signups_cli
from panel.signups import views as signups_views
from panel.site import identity as site_identity
from panel.site import views as site_views
from panel.templating import PanelEnvironment, register_context
from panel.uploads import InMemoryUploadsRequest
from panel.urls import DatabaseId
from panel.worklist import cli as worklist_cli
from panel.worklist import views as worklist_views

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None,
               instance_path: Path | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints and commands."""
    instance = Path(instance_path or DEFAULT_INSTANCE_PATH)
    app = Flask(__name__, instance_path=str(instance),
                template_folder=str(PROJECT_ROOT / "templates"))
    app.jinja_environment = PanelEnvironment  # before anything uses app.jinja_env
    app.config.update(load_settings(instance))
    if test_config:
        app.config.update(test_config)
    instance.mkdir(parents=True, exist_ok=True)
    configure_logging(app)

    database.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page itself says what to do
    auth_sessions.register(app)  # user loader (session versions) and session time limits

    app.url_map.converters["int"] = DatabaseId  # an id no row can have answers 404
    app.request_class = InMemoryUploadsRequest  # uploads never touch the disk
    register_error_handlers(app)
    register_template_helpers(app)
    register_context(app)
    for blueprint in (site_views.bp, auth_views.bp, areas_views.bp, signups_views.bp,
                      meetings_views.bp, results_views.bp, feedback_views.bp,
                      motions_views.bp, residents_views.bp, api_views.bp, privacy_views.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(mail_views.bp)
    app.register_blueprint(site_identity.bp)  # logo, icon, theme file
    production = app.config["PANEL_ENV"] == "production"
    app.after_request(lambda response: add_security_headers(response, production))
    register_migration_commands(app)
    for module in (areas_cli, auth_cli, demo_cli, mail_cli, meetings_cli, privacy_cli,
                   results_cli, signups_cli, worklist_cli):
        module.register_commands(app)
    worklist_views.register(app)  # the work list on the start page, first
    setup_views.register(app)  # the setup checklist on the start page
    return app
