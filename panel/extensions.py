"""Flask extensions, created unbound here and bound to the app in the factory."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from panel.limits import by_address

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Every limit names what it counts by (panel.limits); a route that does not counts by the
# client's address, hashed like every other key.
limiter = Limiter(key_func=by_address, default_limits=[])
