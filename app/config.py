"""Configuration read from the environment, with safe development defaults.

Production (KHAOSAT_ENV=production, the default under gunicorn.conf.py) refuses the default secret.
"""

import os
from urllib.parse import urlsplit

DEFAULT_SECRET = "dev-only-not-a-secret"  # noqa: S105  (known on purpose: refused in production)


class ConfigError(RuntimeError):
    """Raised when the app must not start with the configuration it was given."""


def _sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + os.path.join(instance_path, "khaosat.sqlite")


def from_environment(instance_path: str) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = os.environ.get("KHAOSAT_ENV", "development")
    production = env == "production"
    return {
        "KHAOSAT_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL") or _sqlite_url(instance_path)
        ),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "PUBLIC_BASE_URL_ALLOW_HTTP": os.environ.get("PUBLIC_BASE_URL_ALLOW_HTTP") == "1",
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # "json": the app's and gunicorn's logs as one JSON object a line.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
        # Two deployments (or test runs) sharing one Redis keep their counts apart.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "khaosat"),
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Ho_Chi_Minh"),
        "SUPPRESSION_K": int(os.environ.get("SUPPRESSION_K", "5")),
        # Integrity of the survey (app/survey/limits.py, tickets.py; docs/security.md).
        "TRUSTED_PROXY_HOPS": int(os.environ.get("TRUSTED_PROXY_HOPS", "0")),
        "SURVEY_MIN_SECONDS": int(os.environ.get("SURVEY_MIN_SECONDS", "8")),
        "SURVEY_SUBMIT_LIMIT": os.environ.get("SURVEY_SUBMIT_LIMIT",
                                              "6 per 10 minutes;20 per hour"),
        "SURVEY_OPEN_LIMIT": os.environ.get("SURVEY_OPEN_LIMIT", "30 per 10 minutes"),
        "SURVEY_BURST": os.environ.get("SURVEY_BURST", "8 per 10 minutes;16 per hour"),
        "SURVEY_ONE_PLACE": os.environ.get("SURVEY_ONE_PLACE", "40 per day"),
        "SURVEY_IDENTICAL_RUN": int(os.environ.get("SURVEY_IDENTICAL_RUN", "5")),
        "OFFICE_HOURS": os.environ.get("OFFICE_HOURS", "07:00-17:30"),
        # Completed forms wait in an inbox and move into `response` in shuffled batches at most
        # this often, so the database keeps no order or time of them (app/domain/inbox.py).
        "SURVEY_MOVE_MINUTES": int(os.environ.get("SURVEY_MOVE_MINUTES",
                                                  "60" if production else "0")),
        # An uploaded table (tallies, returned dossiers) is read in a child process stopped at
        # this much CPU time and this much more memory (app/staff/table_files.py): no upload
        # holds a worker for long.
        "UPLOAD_READ_CPU_SECONDS": int(os.environ.get("UPLOAD_READ_CPU_SECONDS", "3")),
        "UPLOAD_READ_MEMORY_MB": int(os.environ.get("UPLOAD_READ_MEMORY_MB", "512")),
        # Invitations by SMS (app/domain/invitations.py): a link answers for this many days
        # from the day it is sent; a result returned longer ago than the second is not invited
        # for; the text, in Vietnamese without diacritics ({unit} shortened to fit one SMS).
        "INVITATION_VALID_DAYS": int(os.environ.get("INVITATION_VALID_DAYS", "7")),
        "INVITATION_RETURNED_WITHIN_DAYS": int(os.environ.get(
            "INVITATION_RETURNED_WITHIN_DAYS", "7")),
        "INVITATION_SMS_TEXT": os.environ.get(
            "INVITATION_SMS_TEXT", "{unit}: Moi Ong/Ba danh gia viec giai quyet ho so tra ngay "
            "{day}. An danh, tra loi 1 lan: {link} Han {expires}"),
        # How texts go out (app/sms.py): "console" prints them (development), "http" speaks to
        # a brandname-SMS gateway, "none" sends nothing; unset: console in development, none
        # in production. Production never prints links.
        "SMS_BACKEND": os.environ.get("SMS_BACKEND", ""),
        # Digests and alerts by email (app/mail/): the SMTP server (unset: written to standard
        # output, development), STARTTLS unless MAIL_USE_TLS=0, a private CA's certificate.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "1") == "1",
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "khaosat <khaosat@localhost>"),
        "MAIL_CA_FILE": os.environ.get("MAIL_CA_FILE", ""),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "30")),
        "SMS_GATEWAY_URL": os.environ.get("SMS_GATEWAY_URL", ""),
        "SMS_GATEWAY_AUTHORIZATION": os.environ.get("SMS_GATEWAY_AUTHORIZATION", ""),
        "SMS_GATEWAY_BRANDNAME": os.environ.get("SMS_GATEWAY_BRANDNAME", ""),
        "SMS_GATEWAY_BODY": os.environ.get(
            "SMS_GATEWAY_BODY", '{"to": "$phone", "from": "$brandname", "text": "$text"}'),
        "SMS_GATEWAY_JSON": os.environ.get("SMS_GATEWAY_JSON", "1") == "1",
        "SMS_GATEWAY_OK_STATUSES": os.environ.get("SMS_GATEWAY_OK_STATUSES", "200,201,202"),
        "SMS_GATEWAY_OK_FIELD": os.environ.get("SMS_GATEWAY_OK_FIELD", ""),
        "SMS_GATEWAY_OK_VALUE": os.environ.get("SMS_GATEWAY_OK_VALUE", ""),
        "SMS_GATEWAY_TIMEOUT": float(os.environ.get("SMS_GATEWAY_TIMEOUT", "10")),
        # At most this many texts through the gateway, across every worker (a moving window).
        "SMS_RATE_LIMIT": os.environ.get("SMS_RATE_LIMIT", "10 per second"),
        # A text that met a timeout, a 5xx or "slow down" is tried again this many times, after
        # these many seconds (the last repeated).
        "SMS_RETRIES": int(os.environ.get("SMS_RETRIES", "3")),
        "SMS_RETRY_SECONDS": os.environ.get("SMS_RETRY_SECONDS", "30,120,600"),
        # Texts go out only between these local times; the rest wait in the queue.
        "SMS_HOURS": os.environ.get("SMS_HOURS", "07:30-20:00"),
        # The job queue (app/jobs.py): a Redis URL, or empty to send in the request (development).
        "JOB_QUEUE_URL": os.environ.get("JOB_QUEUE_URL", ""),
        "JOB_QUEUE_NAME": os.environ.get("JOB_QUEUE_NAME", "khaosat-invitations"),
        # The JSON API (app/api/): requests a key may make, and dossiers one post may carry.
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "60 per minute"),
        "API_MAX_DOSSIERS": int(os.environ.get("API_MAX_DOSSIERS", "5000")),
        # A move carries at least this many forms (from anywhere in the province), or only
        # forms of days already over: one form moved alone would have its moment stamped.
        "SURVEY_MOVE_BATCH": int(os.environ.get("SURVEY_MOVE_BATCH", "5")),
        # A print of more stickers than this is made by a background process at lower priority
        # (app/printing/jobs.py); smaller ones come straight back (~3 s for 200).
        "PRINT_BACKGROUND_ABOVE": int(os.environ.get("PRINT_BACKGROUND_ABOVE", "200")),
        # How long a server keeps a code's counter, campaign and blank page (app/survey/
        # lookup.py): a change made on another server shows within this many seconds.
        "SURVEY_LOOKUP_SECONDS": int(os.environ.get("SURVEY_LOOKUP_SECONDS", "30")),
        # How long a server keeps a published campaign's results page (app/public/): it changes
        # once a week; whether it is still published is asked on every request.
        "PUBLIC_RESULTS_SECONDS": int(os.environ.get("PUBLIC_RESULTS_SECONDS", "300")),
        # Werkzeug's scrypt; only the test suite sets a cheaper method (app/domain/accounts.py).
        "PASSWORD_HASH_METHOD": "scrypt",
        "BABEL_DEFAULT_LOCALE": "vi",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # A staff login ends after this long unused, and after this long in any case.
        "STAFF_IDLE_MINUTES": int(os.environ.get("STAFF_IDLE_MINUTES", "480")),
        "STAFF_SESSION_HOURS": int(os.environ.get("STAFF_SESSION_HOURS", "12")),
        # A failed INSERT must not write a citizen's comment into the error log.
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        # Above the 2 MB an import may have, so an oversized file gets the import's own message.
        "MAX_CONTENT_LENGTH": 3 * 1024 * 1024,
    }


def normalise_database_url(url: str) -> str:
    """Let people write postgres:// or postgresql:// and still get the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def sms_backend(config) -> str:
    """SMS_BACKEND, or what it is when unset: console in development, none in production."""
    return config.get("SMS_BACKEND") or (
        "none" if config["KHAOSAT_ENV"] == "production" else "console")


# Addresses no phone can open: a sticker or text carrying one is worthless.
_THIS_MACHINE = ("127.0.0.1", "localhost", "0.0.0.0", "::1")  # noqa: S104 (a check, no bind)


def check_public_url(config: dict) -> None:
    """Production prints PUBLIC_BASE_URL on every sticker and in every SMS: it must be the
    site's real address, over https (a sticker printed with 127.0.0.1 can be thrown away).
    PUBLIC_BASE_URL_ALLOW_HTTP=1 lets an intranet pilot (or a bench on this machine) use
    http."""
    url = str(config.get("PUBLIC_BASE_URL") or "")
    parts = urlsplit(url)
    pilot = config.get("PUBLIC_BASE_URL_ALLOW_HTTP")  # the operator's explicit choice
    if parts.scheme not in ("https", "http") or not parts.hostname or (
            parts.hostname in _THIS_MACHINE and not pilot):
        raise ConfigError(
            "KHAOSAT_ENV=production needs PUBLIC_BASE_URL, the address citizens' phones open "
            f"(e.g. https://khaosat.tinh.gov.vn): it is printed on every sticker, not {url!r}.")
    if parts.scheme == "http" and not pilot:
        raise ConfigError(
            "PUBLIC_BASE_URL must be https in production (stickers and texts carry it); for an "
            "intranet pilot over plain http set PUBLIC_BASE_URL_ALLOW_HTTP=1.")


def check(config: dict) -> None:
    """Refuse to run production with a secret anyone can read in this repository, or with
    invitations' links printed to the console (a log line would answer in a citizen's place)."""
    if config["KHAOSAT_ENV"] == "production" and config["SECRET_KEY"] in ("", DEFAULT_SECRET):
        raise ConfigError(
            "KHAOSAT_ENV=production needs SECRET_KEY set to a long random value "
            "(python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if config["KHAOSAT_ENV"] == "production":
        check_public_url(config)
    backend = sms_backend(config)
    if backend not in ("none", "console", "http"):
        raise ConfigError(f"SMS_BACKEND must be none, console or http, not {backend!r}.")
    if backend == "console" and config["KHAOSAT_ENV"] == "production":
        raise ConfigError("SMS_BACKEND=console prints invitation links: not in production.")
    if backend == "http" and not str(config.get("SMS_GATEWAY_URL", "")).startswith(
            ("https://", "http://")):
        raise ConfigError("SMS_BACKEND=http needs SMS_GATEWAY_URL, an http(s) URL.")
