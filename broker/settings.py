"""Peerwall broker settings, read from environment variables.

Local use needs none of them: DEBUG on, SQLite next to manage.py, the in-memory channel layer.
Production (DEBUG=0) refuses to start with the development secret key.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from broker.env import env_bool, env_int, env_list, env_str, redis_channel_layer

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET_KEY = "peerwall-development-only-secret-key-never-use-in-production"

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "DEBUG is off but SECRET_KEY is unset (or the development key): "
        "set SECRET_KEY to a long random value before running in production."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# Origins allowed to open the signaling WebSocket; by default the allowed hosts themselves.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "allauth",
    "allauth.account",
    "accounts",
    "signaling",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "frontend.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "broker.urls"
ASGI_APPLICATION = "broker.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "peerwall",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Argon2 first: new passwords are hashed with it, older hashes are upgraded at log-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# django-allauth: a handle and a password, nothing else.
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_USERNAME_VALIDATORS = "accounts.handles.HANDLE_VALIDATORS"
ACCOUNT_USERNAME_BLACKLIST: list[str] = []  # reserved words are refused by accounts.handles, with a clearer message
ACCOUNT_USERNAME_MIN_LENGTH = 1
ACCOUNT_PRESERVE_USERNAME_CASING = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_FORMS = {"signup": "accounts.forms.HandleSignupForm", "login": "accounts.forms.HandleLoginForm"}
ACCOUNT_ADAPTER = "accounts.adapter.HandleAccountAdapter"
# Limits key on the client's address as the ASGI server reports it: behind Caddy, uvicorn takes it
# from X-Forwarded-For only when the connection comes from FORWARDED_ALLOW_IPS (Caddy's address).
ACCOUNT_RATE_LIMITS = {
    "login": env_str("LOGIN_RATE_LIMIT", "30/m/ip"),
    # Wrong passwords: per address, and per handle *from that address* (accounts.adapter keys
    # them so), so that a stranger's guesses never lock the owner out.
    "login_failed": env_str("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/300s/key"),
    # Wrong passwords for one handle from everywhere: past this, only browsers that logged in as
    # that handle before may try until the window ends (a slowed guesser, an owner still in).
    "login_failed_handle": env_str("LOGIN_FAILED_HANDLE_LIMIT", "30/900s/key"),
    # Tests that sign many people up from one address raise this.
    "signup": env_str("SIGNUP_RATE_LIMIT", "20/m/ip"),
}
# The JSON API a logged-in browser calls (broker.limits), per person (per address when logged out).
API_RATE_LIMITS = {
    "handle_lookup": env_str("HANDLE_LOOKUP_RATE_LIMIT", "60/m"),
    "ice": env_str("ICE_RATE_LIMIT", "30/m"),
}
# Where Django's admin lives; its log-in is allauth's (limited as above).
ADMIN_URL = env_str("ADMIN_URL", "admin/").strip("/") + "/"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/app/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"

SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    # No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from anyone. The image's
    # server (uvicorn --proxy-headers) sets the scheme from it only for FORWARDED_ALLOW_IPS.
    # Browsers that reached us over HTTPS once keep to it (sent on HTTPS answers only).
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Only production collects static files; in DEBUG they are served from the app folders.
STATIC_ROOT = None if DEBUG else (env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# WebRTC: ICE servers handed to logged-in browsers by GET /api/ice.
STUN_URLS = env_list("STUN_URLS")
TURN_URLS = env_list("TURN_URLS")
TURN_SECRET = env_str("TURN_SECRET")
TURN_CREDENTIAL_TTL = env_int("TURN_CREDENTIAL_TTL", 6 * 3600)

# Signaling bounds (signaling.limits reads these).
SIGNALING_MAX_FRAME_BYTES = env_int("SIGNALING_MAX_FRAME_BYTES", 64 * 1024)
SIGNALING_FRAMES_PER_SECOND = env_int("SIGNALING_FRAMES_PER_SECOND", 50)
SIGNALING_FRAME_BURST = env_int("SIGNALING_FRAME_BURST", 200)
# Sockets one client address may hold in one server process (0: no cap). Behind a proxy, the
# address is the one the proxy reports.
SIGNALING_MAX_CONNECTIONS_PER_ADDRESS = env_int("SIGNALING_MAX_CONNECTIONS_PER_ADDRESS", 100)
# Distinct handles a connection may dial in a minute that are not its friends (friend requests).
SIGNALING_STRANGER_DIALS_PER_MINUTE = env_int("SIGNALING_STRANGER_DIALS_PER_MINUTE", 5)
# A socket that sends nothing (not even the client's HEARTBEAT, every 5 s) this long is closed.
SIGNALING_IDLE_TIMEOUT = env_int("SIGNALING_IDLE_TIMEOUT", 60)
# With Redis: how long a server process's record of a connection outlives its last refresh
# (a crashed process's connections vanish after this long).
SIGNALING_PRESENCE_TTL = env_int("SIGNALING_PRESENCE_TTL", 60)

LOG_FORMAT = env_str("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "broker.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "plain"}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}

STATICFILES_DIRS = [BASE_DIR / "static"]
