"""newsmon's configuration: a TOML file plus environment variables, validated on load.

:func:`load_config` reads it into an :class:`AppConfig`; a mistake is a ConfigError
naming its key. Nothing here reads the environment at import time.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.schedules import check_schedule

DEFAULT_CONFIG_NAME = "newsmon.toml"
DEFAULT_DATABASE_URL = "sqlite:///newsmon.db"


class ConfigError(Exception):
    """A configuration problem, phrased for the person who wrote the file."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> timedelta:
    """ "90m", "6h", "2d", "1w" (or a number of seconds) → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90m, 6h, 2d, 1w)")
    return timedelta(seconds=float(match.group(1)) * _DURATION_UNITS[match.group(2)])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" for the closest known name, or "" when nothing is close."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_address(value: str) -> str:
    """A plain e-mail address (user@example.org), as SMTP's envelope needs it."""
    text = value.strip()
    try:
        address = Address(addr_spec=text)
    except (HeaderParseError, ValueError, TypeError, IndexError):
        raise ValueError(f"{value!r} is not an e-mail address like user@example.org") from None
    labels = address.domain.split(".")
    if not address.username or not all(re.fullmatch(r"(?!-)[\w-]{1,63}(?<!-)", label) for label in labels):
        raise ValueError(f"{value!r} is not an e-mail address like user@example.org") from None
    return text


EmailAddress = Annotated[str, AfterValidator(check_address)]
Schedule = Annotated[str, AfterValidator(check_schedule)]


class SourceConfig(_Strict):
    """One source. Site spiders need only a name; generic sources describe themselves here."""

    enabled: bool = True
    spider: str | None = Field(default=None, description="spider name; defaults to the source's own name")
    schedule: str | None = None
    proxy: str | None = None
    user_agent: str | None = None
    max_pages: int | None = Field(default=None, ge=1, le=100)
    refresh_hours: float | None = Field(default=None, ge=0)
    # `status --check` and /healthz go red when the source has not succeeded for this long.
    stale_after: timedelta | None = None
    time_limit_minutes: float | None = Field(default=None, gt=0)
    languages: list[Literal["vi", "en", "ru"]] | None = None
    # Generic sources (no spider of their own): where to find articles and how to read them.
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    listing_pages: list[str] = Field(default_factory=list)
    link_pattern: str | None = None
    selectors: dict[str, str] = Field(default_factory=dict)
    # Time zone of dates a generic source's pages write without an offset (default: Vietnam's).
    timezone: str | None = None
    # How the source's meta tags write numeric dates: "DMY" (default) or "MDY" ("1/28/2026 6:52:01 AM").
    date_order: Literal["DMY", "MDY"] | None = None
    # Entry-point discovery (home-page feeds, feed index, robots.txt sitemaps; first crawl, then weekly).
    discover: bool = True

    @field_validator("stale_after", mode="before")
    @classmethod
    def _stale_after(cls, value: Any) -> timedelta | None:
        return None if value is None else parse_duration(value)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return check_schedule(value)

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^(https?|socks5h?)://[^\s/]+", value):
            raise ValueError("must be a URL like http://host:port")
        return value or None

    @field_validator("link_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @field_validator("feeds", "sitemaps", "listing_pages")
    @classmethod
    def _urls(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.match(r"^https?://[^\s/]+", value):
                raise ValueError(f"{value!r} is not an absolute http(s) URL")
        return values

    @field_validator("selectors")
    @classmethod
    def _selectors(cls, values: dict[str, str]) -> dict[str, str]:
        if not values:
            return values  # no soupsieve import (0.3 s) for a source without selectors
        import soupsieve

        for key, css in values.items():
            if key not in GENERIC_SELECTOR_KEYS:
                raise ValueError(f"unknown selector {key!r} (known: {', '.join(GENERIC_SELECTOR_KEYS)})")
            try:
                soupsieve.compile(css)
            except soupsieve.SelectorSyntaxError as exc:
                reason = str(exc).splitlines()[0]
                raise ValueError(f"{key} = {css!r} is not a valid CSS selector ({reason})") from None
        return values

    @field_validator("timezone")
    @classmethod
    def _source_tz(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value or None

    @model_validator(mode="after")
    def _generic_needs_somewhere_to_look(self) -> SourceConfig:
        if self.spider == "generic":
            if not (self.feeds or self.sitemaps or self.listing_pages):
                raise ValueError('a source with spider = "generic" needs feeds, sitemaps or listing_pages')
            if self.listing_pages and not self.link_pattern:
                raise ValueError("listing_pages need a link_pattern (a regex every article URL matches)")
        return self


# CSS selectors a generic source may give, one per field of an article.
GENERIC_SELECTOR_KEYS = ("title", "lead", "body", "date", "author", "tags")


class CrawlConfig(_Strict):
    default_schedule: str = "interval:30m"
    max_pages: int = Field(default=3, ge=1, le=100)
    # 0 = an article URL already stored is never requested again.
    refresh_hours: float = Field(default=0, ge=0)
    time_limit_minutes: float = Field(default=20, gt=0)
    max_parallel: int = Field(default=2, ge=1, le=32)
    delay_seconds: float = Field(default=1.0, ge=0)
    user_agent: str | None = None
    proxy: str | None = None
    # A source with no successful crawl for this long makes `status --check` and /healthz fail.
    stale_after: timedelta = timedelta(hours=24)

    @field_validator("stale_after", mode="before")
    @classmethod
    def _stale_after(cls, value: Any) -> timedelta:
        return parse_duration(value)

    # Per try, connecting included; a page is tried 3 times.
    timeout_seconds: float = Field(default=15, gt=0, le=300)
    # A crawl whose site has answered nothing after this long ends as failed (0 = never).
    unreachable_after_seconds: float = Field(default=30, ge=0)
    # Feeds, listing pages and sitemaps are fetched with If-None-Match / If-Modified-Since, so an
    # unchanged one costs a 304; validators older than conditional_max_age_hours are not sent
    # (0 = no limit), so articles that failed to load are found again at least that often.
    conditional_requests: bool = True
    conditional_max_age_hours: float = Field(default=24, ge=0)
    # Hosts ("host" or "host:port") that may be fetched although they are not public
    # addresses (an intranet site, a local test server). Everything else must resolve
    # to a public address; the mirror is always allowed.
    allowed_hosts: list[str] = Field(default_factory=list)

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.fullmatch(r"[A-Za-z0-9._-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?", value):
                raise ValueError(f"{value!r} is not a host or host:port")
        return [v.lower() for v in values]

    @field_validator("default_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        check_schedule(value)
        return value


class SmtpConfig(_Strict):
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    user: str | None = None
    timeout_seconds: float = Field(default=30, gt=0)
    # The password never lives in this file: NEWSMON_SMTP_PASSWORD or the system keyring.
    keyring_service: str = "newsmon"

    @property
    def claim_stale_seconds(self) -> float:
        """A digest delivery claimed longer ago than this belongs to a process that died mid-attempt."""
        return max(600.0, 3 * self.timeout_seconds)


class DigestConfig(_Strict):
    schedules: list[Schedule] = Field(default_factory=lambda: ["cron:0 7 * * *"])
    recipients: list[EmailAddress] = Field(default_factory=list)
    sender: EmailAddress = "newsmon@localhost"
    topic: str = "Hà Nội – Nga"
    include_national: bool = True
    send_empty: bool = False
    outbox: str = "outbox"
    max_items: int = Field(default=100, ge=1)
    # A delivery failing transiently (4xx, timeouts, server down) is retried with back-off for this
    # long after the digest was made; then it counts as refused for good.
    retry_hours: float = Field(default=48, gt=0)


class RelevanceConfig(_Strict):
    terms_file: str | None = None
    # A classifier trained by `newsmon train-relevance` (default: the one shipped with newsmon).
    model_file: str | None = None


class DaemonConfig(_Strict):
    """How `newsmon run` stops and how it guards its database."""

    # On SIGTERM/SIGINT, running crawls get this long to finish before they are killed.
    shutdown_grace_seconds: float = Field(default=60, ge=0)
    # A crawl told to stop (SIGTERM) is killed outright (SIGKILL) this long after.
    kill_grace_seconds: float = Field(default=10, ge=0)
    heartbeat_seconds: float = Field(default=15, gt=0)
    # A lock whose heartbeat is older than this belongs to a dead daemon and may be taken over.
    lock_stale_seconds: float = Field(default=120, gt=0)
    # A scheduled job overdue by this long means the scheduler is stuck (`status --check`, /healthz).
    stuck_after_seconds: float = Field(default=300, gt=0)
    # Crawl, digest and notify children are forked from a process that has done the imports once
    # (monitor.daemon.zygote) instead of each starting Python afresh (about 2 CPU-s a child).
    preforked_children: bool = True
    # A zygote that does not answer a fork request within this long (its start included, for the
    # first child) is killed and started again, and that child started the plain way.
    zygote_timeout_seconds: float = Field(default=60, gt=0)


class MetricsConfig(_Strict):
    """Prometheus metrics and /healthz from `newsmon run` (off unless ``listen`` is set)."""

    listen: str | None = None  # "127.0.0.1:9108"

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:9108")
        return value


class WebConfig(_Strict):
    """`newsmon web`: the pages, feed and API. The token comes from NEWSMON_WEB_TOKEN only."""

    enabled: bool = False  # also start it with `newsmon run`
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # The address readers reach it at (behind a reverse proxy, say): digest items link to it.
    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://", value):
            raise ValueError("must be a URL like https://newsmon.example.org")
        return value.rstrip("/") if value else None


NOTIFY_LABEL_SETS = (("core",), ("core", "national"))


class NotifyConfig(_Strict):
    """One chat channel (`[[notify]]`): an Apprise URL, which labels, and digest or instant mode."""

    name: str | None = None  # default: the URL's scheme, or the variable's name
    url: str | None = None
    # The variable holding the URL, for URLs with a secret in them (a bot token): never in the file.
    url_env: str | None = None
    label: list[str] = Field(default_factory=lambda: ["core"])
    mode: Literal["digest", "instant"] = "digest"
    # instant mode: at most this many messages an hour; stories beyond it are folded into the next one.
    max_per_hour: int | None = Field(default=None, ge=1)
    timeout_seconds: float = Field(default=20, gt=0, le=300)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[\w.-]{1,64}", value):
            raise ValueError("must be 1-64 letters, digits, '.', '_' or '-' (it names the channel in logs)")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", value.strip()):
            raise ValueError("must be an Apprise URL like tgram://BOTTOKEN/CHATID or slack://A/B/C/#channel")
        return value.strip() if value else value

    @field_validator("url_env")
    @classmethod
    def _url_env(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError("must be the name of an environment variable, like NEWSMON_NOTIFY_TELEGRAM")
        return value

    @field_validator("label", mode="before")
    @classmethod
    def _label(cls, value: Any) -> list[str]:
        labels = [value] if isinstance(value, str) else value
        if not isinstance(labels, list) or tuple(sorted(set(labels), key=str)) not in NOTIFY_LABEL_SETS:
            raise ValueError('must be "core", or ["core", "national"]')
        return sorted(set(labels))

    @model_validator(mode="after")
    def _complete(self) -> NotifyConfig:
        if bool(self.url) == bool(self.url_env):
            raise ValueError(
                'give the channel\'s Apprise URL as url = "..." or, when it holds a secret such as a '
                'bot token, url_env = "VARIABLE" naming the environment variable that holds it (one of the two)'
            )
        if self.mode == "digest" and self.max_per_hour is not None:
            raise ValueError('max_per_hour applies to mode = "instant" only')
        if self.mode == "instant" and self.max_per_hour is None:
            self.max_per_hour = DEFAULT_MAX_PER_HOUR
        return self

    @property
    def service(self) -> str:
        """The URL's scheme, when the URL is in the file."""
        return self.url.partition("://")[0].lower() if self.url else "?"


DEFAULT_MAX_PER_HOUR = 10


def _name_channels(channels: list[NotifyConfig]) -> list[str]:
    """Give unnamed channels a name (the URL's scheme or the variable's name, numbered when taken);
    problems with names given twice."""
    taken = [c.name for c in channels if c.name]
    problems = [
        f"notify[{i}].name: {c.name!r} is used by another [[notify]] entry too"
        for i, c in enumerate(channels)
        if c.name and taken.count(c.name) > 1
    ]
    for channel in channels:
        if channel.name:
            continue
        base = (channel.service if channel.url else (channel.url_env or "notify").lower())[:60]
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        channel.name = name
        taken.append(name)
    return problems


class AppConfig(_Strict):
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Asia/Ho_Chi_Minh"
    log_file: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Base URL of the offline mirror; when set, every crawl goes there instead of the internet.
    mirror: str | None = None
    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)
    relevance: RelevanceConfig = Field(default_factory=RelevanceConfig)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    notify: list[NotifyConfig] = Field(default_factory=list)
    # Where the config came from, for relative paths and messages; not a TOML key.
    config_path: str | None = Field(default=None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("mirror")
    @classmethod
    def _mirror(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://", value):
            raise ValueError("must be a URL like http://127.0.0.1:8008")
        return value.rstrip("/") if value else None

    @model_validator(mode="after")
    def _consistent(self) -> AppConfig:
        """Checks across keys, all reported at once: a half-configured daemon must not start."""
        problems = [*_spider_problems(self), *_smtp_problems(self), *_name_channels(self.notify)]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def enabled_sources(self) -> dict[str, SourceConfig]:
        return {name: src for name, src in self.sources.items() if src.enabled}

    def resolve_path(self, value: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        path = Path(value).expanduser()
        if not path.is_absolute() and self.config_path:
            path = Path(self.config_path).parent / path
        return path


def _spider_problems(config: AppConfig) -> list[str]:
    """Every source names a spider that exists: a typo like [sources.hanoimio] is caught on load."""
    from spiders import SPIDER_NAMES

    problems = []
    for name, source in config.sources.items():
        if source.spider is not None and source.spider not in SPIDER_NAMES:
            problems.append(
                f"sources.{name}.spider: no spider named {source.spider!r}"
                f"{did_you_mean(source.spider, SPIDER_NAMES)}; known: {', '.join(SPIDER_NAMES)}"
            )
        elif source.spider is None and name not in SPIDER_NAMES:
            problems.append(
                f"sources.{name}: no spider named {name!r}{did_you_mean(name, SPIDER_NAMES)}; "
                'a site of your own needs spider = "generic" and its feeds, sitemaps or listing_pages'
            )
    return problems


def _smtp_problems(config: AppConfig) -> list[str]:
    """An SMTP host with nobody to send to would record digests that can never be delivered."""
    if config.smtp.host and not config.digest.recipients:
        return [
            f"digest.recipients: empty while smtp.host = {config.smtp.host!r} is set; list at least one "
            "address (or set NEWSMON_DIGEST_TO), or remove smtp.host to write digests to the outbox"
        ]
    return []


def _format_validation_error(origin: str, exc: ValidationError) -> str:
    lines = [f"{origin}: invalid configuration"]
    for err in exc.errors():
        key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in err["loc"]).lstrip(".")
        msg = err["msg"]
        if err["type"] == "value_error":
            # Our own messages, without pydantic's "Value error, " in front.
            msg = str(err.get("ctx", {}).get("error", msg.removeprefix("Value error, ")))
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling against newsmon.example.toml)"
        if not key:
            # A check across keys: each line of its message already starts with the key.
            lines.extend(f"  {line}" for line in msg.splitlines())
            continue
        given = err.get("input")
        quiet = err["type"] in ("extra_forbidden", "missing") or isinstance(given, dict) or repr(given) in msg
        suffix = "" if quiet else f" (got {given!r})"
        lines.append(f"  {key}: {msg}{suffix}")
    return "\n".join(lines)


# Environment variables that override the file: (variable, path into the config, parser).
_ENV_OVERRIDES: list[tuple[str, tuple[str, ...], Any]] = [
    ("NEWSMON_DB", ("database_url",), str),
    ("NEWSMON_MIRROR", ("mirror",), str),
    ("NEWSMON_TIMEZONE", ("timezone",), str),
    ("NEWSMON_LOG_FILE", ("log_file",), str),
    ("NEWSMON_SMTP_HOST", ("smtp", "host"), str),
    ("NEWSMON_SMTP_PORT", ("smtp", "port"), str),
    ("NEWSMON_SMTP_SECURITY", ("smtp", "security"), str),
    ("NEWSMON_SMTP_USER", ("smtp", "user"), str),
    ("NEWSMON_DIGEST_FROM", ("digest", "sender"), str),
    ("NEWSMON_DIGEST_TO", ("digest", "recipients"), lambda v: [a.strip() for a in v.split(",") if a.strip()]),
    ("NEWSMON_PROXY", ("crawl", "proxy"), str),
]


def _normalise_db_url(value: str, base: Path | None) -> str:
    """A bare file path becomes a SQLite URL; relative SQLite paths resolve against ``base``."""
    if "://" not in value:
        path = Path(value).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        return f"sqlite:///{path}"
    return value


def find_config_path(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    """--config, then NEWSMON_CONFIG, then ./newsmon.toml if present; None means built-in defaults."""
    if explicit:
        return Path(explicit)
    if env.get("NEWSMON_CONFIG"):
        return Path(env["NEWSMON_CONFIG"])
    candidate = Path.cwd() / DEFAULT_CONFIG_NAME
    return candidate if candidate.exists() else None


def load_config(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> AppConfig:
    """Read and validate the configuration; raise ConfigError naming the bad key."""
    env = os.environ if env is None else env
    config_path = find_config_path(path, env)
    data: dict[str, Any] = {}
    origin = "built-in defaults"
    if config_path is not None:
        origin = str(config_path)
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{config_path}: config file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_path}: cannot read: {exc}") from None

    for variable, keys, parse in _ENV_OVERRIDES:
        raw = env.get(variable)
        if raw is None or raw == "":
            continue
        target = data
        for key in keys[:-1]:
            target = target.setdefault(key, {})
            if not isinstance(target, dict):
                raise ConfigError(f"{origin}: {'.'.join(keys[:-1])} must be a table")
        target[keys[-1]] = parse(raw)

    if not data.get("sources"):
        # No sources named: every site spider newsmon ships, with its defaults.
        data["sources"] = {name: {} for name in builtin_source_names()}

    try:
        config = AppConfig.model_validate(data)
    except ValidationError as exc:
        origin_env = [v for v, _, _ in _ENV_OVERRIDES if env.get(v)]
        message = _format_validation_error(origin, exc)
        if origin_env:
            message += "\n  (environment overrides in effect: " + ", ".join(origin_env) + ")"
        raise ConfigError(message) from None

    base = config_path.parent if config_path is not None else Path.cwd()
    config.database_url = _normalise_db_url(config.database_url, base.resolve())
    config.config_path = str(config_path.resolve()) if config_path is not None else None
    for warning in config_warnings(config):
        logging.getLogger("newsmon.config").warning("%s: %s", origin, warning)
    return config


def config_warnings(config: AppConfig) -> list[str]:
    """Settings that work but quietly do something else than they seem to: one line each."""
    warnings: list[str] = []
    if not config.smtp.host:
        instead = (
            f"digests are written to outbox {config.resolve_path(config.digest.outbox)} "
            "and nothing is mailed; set smtp.host (or NEWSMON_SMTP_HOST)"
        )
        if config.digest.recipients:
            warnings.append(f"digest.recipients is set but smtp.host is not: {instead}")
        if config.smtp.user:
            warnings.append(f"smtp.user is set but smtp.host is not: {instead}")
    return warnings


def builtin_source_names() -> list[str]:
    """Names of the site spiders newsmon ships (each is a source name)."""
    from spiders import BUILTIN_SOURCES

    return list(BUILTIN_SOURCES)
