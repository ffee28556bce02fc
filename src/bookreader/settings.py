"""One settings object, read from the environment by `load_settings()` (never at import time).

Names fixed by the contract (`DATABASE_URL`, `REDIS_URL`, `BOOKREADER_*`) map onto fields: a field `x` is read
from `BOOKREADER_X` unless `ENV_NAMES` says otherwise.
"""

from __future__ import annotations

import os
import secrets
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import msgspec

from bookreader.core import affinity

DEFAULT_SECRET_KEY = "dev-insecure-change-me"  # the old constant: refused everywhere now
SECRET_KEY_FILE = (
    "secret_key"  # under data_dir: the generated key of an install without BOOKREADER_SECRET_KEY
)
# values shipped in examples and manifests (compose, config/k8s/secret.yaml): never a real key
PLACEHOLDER_SECRET_MARKERS = ("change-me", "changeme", "insecure", "placeholder", "example")

ENV_NAMES = {"database_url": "DATABASE_URL", "redis_url": "REDIS_URL"}


class SettingsError(ValueError):
    """The environment does not describe a service that may start."""


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    env: Literal["development", "production", "test"] = "development"
    database_url: str | None = None  # unset → embedded PostgreSQL under data_dir
    redis_url: str | None = None  # unset → embedded Redis under data_dir
    data_dir: str = "./.data"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = DEFAULT_SECRET_KEY  # unset outside production → generated once into data_dir
    secret_key_file: str | None = None  # where the generated key lives (None when it came from the env)
    log_level: str = "INFO"
    log_json: bool = True
    # share of successful API requests that get an access line (failures, slow and traced ones always do)
    access_log_sample: float = 0.1
    cors_origins: list[str] = []
    migrations_dir: str | None = None
    log_file: str | None = None  # also log here (rotated); `serve` defaults it to <data>/logs/bookreader.log

    # operations: rate limits per window (0 = off), worker metrics, maintenance
    rate_limit_window: int = 60  # seconds
    rate_limit_general: int = 600  # API requests per user (or per IP when anonymous) per window
    rate_limit_auth: int = 10  # login/register attempts per IP + email per window
    rate_limit_auth_ip: int = 30  # login/register/password attempts per IP (any email) per window
    rate_limit_trust_forwarded: bool = False  # behind our proxies: read the client from X-Forwarded-For
    trusted_proxies: list[str] = []  # our proxies' addresses: skipped from the right of X-Forwarded-For
    metrics_token: str | None = (
        None  # /metrics needs `Authorization: Bearer <this>`; unset: off in production
    )
    worker_metrics_port: int = 0  # a standalone `worker` serves /metrics here (0 = off)
    orphan_min_age: int = 3600  # seconds a book folder without a book row is kept before removal

    # auth
    access_token_ttl: int = 900  # seconds
    refresh_token_ttl: int = 30 * 24 * 3600
    cookie_secure: bool = False
    ws_max_per_user: int = 8  # open WebSockets per user per API process
    password_reset_ttl: int = 24 * 3600  # seconds an admin-issued reset link stays valid
    # argon2 memory per password hash (KiB; time cost 3, 4 lanes). Stored hashes carry their own parameters,
    # so changing it affects new hashes only. The tests use a small value: hundreds of sign-ups.
    password_hash_memory_kib: int = 65536

    # queue / worker
    queue_name: str = "bookreader:queue"
    events_prefix: str = "bookreader:events"
    embedded_worker: bool = True  # `serve` runs the ARQ worker inside the API process
    # Granian worker processes; 0 = `api`: one per core, `serve`: one (see __main__._workers)
    workers: int = 0
    worker_max_jobs: int = 40
    # jobs the embedded worker (`serve`) runs at once: its own Python shares the API's event loop
    embedded_worker_max_jobs: int = 8
    embedded_worker_lock: str | None = None  # set by `serve` with several workers: one runs the ARQ worker
    job_timeout: int = 600
    process_pool_size: int = 2
    process_pool_nice: int = 10  # niceness of the pool's processes: CPU-bound NLP yields the cores to the API
    # SCHED_IDLE for the pool's processes too (Linux): a waking API thread preempts them at once, and where
    # Linux groups a session's processes (autogroup) nice alone hardly keeps them from the cores. Off: in one
    # paired bench-http run (load 3-4) GET chapter's p99 while ingesting was 3.06x idle with it, 2.30x without
    process_pool_sched_idle: bool = False
    # each pool process in a session of its own whose autogroup (Linux) gets process_pool_nice: where the kernel
    # shares the cores between sessions first, the nice then keeps the pool from the API's and the readers'
    # Postgres backends' sessions too, not only from the API's own threads
    process_pool_own_session: bool = True
    # the pool's processes, and the Postgres backends of their bulk writes, in a cpu cgroup marked idle (Linux
    # cpu.idle, core/cpugroup.py) where the service may make one (root, or a delegated cgroup): the kernel then
    # preempts them at once for any reader's work, which no nice does; elsewhere the nice is what there is
    process_pool_idle_cgroup: bool = True
    # `serve` (API + embedded worker) splits the CPUs: "auto" = with 2 or more, the API process keeps the first
    # and the pool (and its Postgres writers) the others, so the pool never runs in the gaps of the API's core
    # (core/affinity.py); a CPU list ("1-3") = those for the pool; "all" = no split. `worker` alone: all CPUs
    process_pool_cpus: str = "auto"
    stuck_after: int = 900  # seconds a non-terminal book may sit before it is re-enqueued

    # ingestion
    max_upload_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 300 * 1024 * 1024
    max_compression_ratio: int = 100
    max_archive_entries: int = 10_000
    max_book_chars: int = 10_000_000  # per book (a long novel is < 5 M); 0 = no cap
    max_book_words: int = 2_000_000
    max_book_chapters: int = 3_000
    process_memory_limit_mb: int = 2048  # address-space limit of each pool process (RLIMIT_AS); 0 = off
    max_active_books_per_user: int = 10  # books queued/parsing/analyzing at once per user; 0 = no cap

    # reading positions: commit each write durably (synchronous_commit on) before answering; off (default) a
    # Postgres crash may lose the last ~0.6 s of acknowledged positions (the next page turn rewrites them)
    progress_sync_commit: bool = False

    # annotations per user and book (0 = no cap)
    max_bookmarks_per_book: int = 1000
    max_highlights_per_book: int = 5000

    # plans: books in library, images per month (0 = unlimited)
    plan_free_books: int = 50
    plan_free_images_per_month: int = 200
    plan_premium_books: int = 1000
    plan_premium_images_per_month: int = 5000

    # images
    image_provider: Literal["placeholder", "pollinations", "openai", "automatic1111"] = "placeholder"
    image_base_url: str | None = None
    image_api_key: str | None = None
    image_model: str | None = None
    image_width: int = 768
    image_height: int = 512
    image_concurrency: int = 4
    image_timeout: float = 120.0
    image_retries: int = 4
    illustrate_ahead_chapters: int = 2
    illustrate_ahead_per_chapter: int = 2
    image_style: str = "watercolor"  # default style preset (users and books may choose another)
    image_rate_per_minute: int = 30  # image requests per user per minute (0 = unlimited)
    image_backoff_base: float = 1.0  # seconds; provider retries back off exponentially from this
    image_pregenerate: int = 3  # placeholder pictures for a new book's first chapter (0 = off)
    # issue 14: the same face in every picture
    portraits_ahead: int = 3  # portraits made once a book is analysed, for its most-mentioned characters
    image_denoising_strength: float = 0.6  # automatic1111 img2img from a portrait: 0 = copy it, 1 = ignore it
    image_send_seed: bool = False  # openai-compatible servers that accept `seed` (OpenAI's own does not)

    # optional LLM prompt refinement (off when no base URL)
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    # LLM judge of candidate passages (issue 11): on when llm_base_url AND llm_model are set; one call per
    # chapter with candidates, at most this many calls per book analysis (cache hits are free)
    llm_judge_max_calls_per_book: int = 40
    llm_judge_timeout: float = 30.0  # seconds per chapter call; on timeout the local result stands
    llm_judge_concurrency: int = 4
    llm_judge_cache_ttl: int = 30 * 24 * 3600  # seconds a chapter's verdicts stay cached in Redis

    # devices (issue 12): the account password on OPDS/sync too (else device passwords only); kosync register
    opds_allow_account_password: bool = False
    kosync_registration: bool = False

    # NLP: optional installed trained spaCy pipelines
    nlp_model_en: str | None = None
    nlp_model_ru: str | None = None

    # webhooks (issue 15): retry delays in seconds (Standard Webhooks' schedule, ~27 h), endpoint disabling
    webhook_allow_private: bool = False
    webhook_retry_schedule: list[float] = msgspec.field(
        default_factory=lambda: [5, 300, 1800, 7200, 18000, 36000, 36000]
    )
    webhook_timeout: float = 10.0
    webhook_max_response_bytes: int = 64 * 1024
    webhook_disable_after: int = 24 * 3600  # seconds of nothing but failures
    webhook_lock_ttl: int = 30  # seconds a dead sender keeps its endpoint locked

    # watch folder (issue 15): files dropped here (or in <dir>/<email>/) are imported once
    import_dir: str | None = None
    import_user: str | None = None  # email for files outside per-user folders (default: the first admin)
    import_settle_seconds: float = 5.0  # a file unchanged this long is complete

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def uses_default_secret(self) -> bool:
        lowered = self.secret_key.lower()
        return self.secret_key == DEFAULT_SECRET_KEY or any(m in lowered for m in PLACEHOLDER_SECRET_MARKERS)


def _env_name(field: str) -> str:
    return ENV_NAMES.get(field, f"BOOKREADER_{field.upper()}")


def _coerce(raw: str, annotation: object) -> object:
    """Strings from the environment → the shape the field expects (msgspec does the rest)."""
    origin = typing.get_origin(annotation)
    if annotation is list[str] or origin is list:
        return [item.strip() for item in raw.split(",") if item.strip()]
    if annotation is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise SettingsError(f"expected a boolean, got {raw!r}")
    if raw == "" and type(None) in typing.get_args(annotation):
        return None
    return raw


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build and validate the settings from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    hints = typing.get_type_hints(Settings)
    values: dict[str, object] = {}
    for field in msgspec.structs.fields(Settings):
        name = _env_name(field.name)
        if name in environ:
            try:
                values[field.name] = _coerce(environ[name], hints[field.name])
            except SettingsError as exc:
                raise SettingsError(f"{name}: {exc}") from None
    values.update(overrides)
    if "secret_key" not in values and values.get("env", "development") != "production":
        values["secret_key_file"], values["secret_key"] = _generated_secret(values.get("data_dir", "./.data"))
    try:
        settings = msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid configuration: {exc}") from None
    validate(settings)
    return settings


def _generated_secret(data_dir: object) -> tuple[str, str]:
    """This install's own random key, made on first start and kept (0600) in the data folder.

    A constant default would be the same on every install, so anyone could sign tokens for any user.
    """
    path = Path(str(data_dir)).resolve() / SECRET_KEY_FILE
    try:
        return str(path), path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:  # O_EXCL: of two processes starting at once, one writes and the other reads its key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return str(path), path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return str(path), key


def validate(settings: Settings) -> None:
    if settings.env == "production":
        if settings.uses_default_secret or len(settings.secret_key) < 32:
            raise SettingsError(
                "BOOKREADER_SECRET_KEY must be set to a random value of at least 32 characters in production "
                "(not a placeholder such as the example manifests' 'change-me…'): openssl rand -hex 32"
            )
    if not 0 < settings.port < 65536:
        raise SettingsError("BOOKREADER_PORT must be between 1 and 65535")
    if settings.image_provider == "automatic1111" and not settings.image_base_url:
        raise SettingsError("BOOKREADER_IMAGE_BASE_URL is required for the automatic1111 provider")
    if not 0 <= settings.access_log_sample <= 1:
        raise SettingsError("BOOKREADER_ACCESS_LOG_SAMPLE must be between 0 and 1")
    if settings.workers < 0:
        raise SettingsError("BOOKREADER_WORKERS must be 0 (automatic) or more")
    if settings.embedded_worker_max_jobs < 1:
        raise SettingsError("BOOKREADER_EMBEDDED_WORKER_MAX_JOBS must be at least 1")
    if settings.process_pool_size < 1:
        raise SettingsError("BOOKREADER_PROCESS_POOL_SIZE must be at least 1")
    try:
        affinity.check(settings.process_pool_cpus)
    except affinity.CpuSpecError as error:
        raise SettingsError(f"BOOKREADER_PROCESS_POOL_CPUS: {error}; or 'auto' / 'all'") from None
    if settings.password_hash_memory_kib < 1024:
        raise SettingsError("BOOKREADER_PASSWORD_HASH_MEMORY_KIB must be at least 1024")
