"""Development and test settings: embedded services, console email, debug on by default."""

import os

from portal.settings.base import *  # noqa: F403
from portal.settings.base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-never-use-in-production"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
