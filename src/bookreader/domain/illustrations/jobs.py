"""ARQ job `generate_image`: queued → generating → ready | failed, one picture per prompt hash.

Idempotent: the job id is the image id, the status moves only forward by conditional updates, a picture
already in the cache is reused, and a Redis lock per prompt hash lets exactly one job call the provider
for identical requests (the others wait and then find the file).
"""

from __future__ import annotations

import logging
import random
import uuid
import weakref
from datetime import UTC, datetime, timedelta

import anyio
import httpx
from arq import Retry
from arq.constants import result_key_prefix
from redis.exceptions import LockError

from bookreader.core.events import ImageStatusEvent, publish
from bookreader.core.jobs import JobContext, is_transient
from bookreader.core.queue import JobPayload, enqueue
from bookreader.domain.illustrations.files import file_path, file_url, imaging_config, store_image
from bookreader.domain.illustrations.prompting import character_bible
from bookreader.domain.illustrations.tables import Image, ImageFile
from bookreader.domain.webhooks import events as webhook_events
from bookreader.imaging import ImageProvider, ImageRequest, ProviderError, build_provider
from bookreader.imaging.llm import LlmConfig, refine_prompt
from bookreader.imaging.prompts import as_of, compose
from bookreader.settings import Settings

log = logging.getLogger(__name__)

MAX_TRIES = 5  # the worker's max_tries: the last try fails the image instead of asking for another


class GenerateImage(JobPayload, frozen=True):
    function = "generate_image"
    image_id: str
    deferrals: int = 0  # times a busy worker put this job back (see `generate_image`)

    def job_id(self) -> str:
        base = f"generate_image:{self.image_id}"
        # a deferred copy is enqueued while the original job is still running, so it needs its own id
        return f"{base}:{self.deferrals}" if self.deferrals else base


# arq hands each job a copy of the worker's ctx, so per-worker state hangs off the worker's shared HTTP client
_PROVIDERS: weakref.WeakKeyDictionary[httpx.AsyncClient, dict[str, ImageProvider]] = (
    weakref.WeakKeyDictionary()
)


def provider_for(ctx: JobContext, name: str) -> ImageProvider:
    """One provider per name per worker, so its concurrency limit holds across all jobs."""
    providers = _PROVIDERS.setdefault(ctx["http"], {})
    if name not in providers:
        providers[name] = build_provider(imaging_config(ctx["settings"], name), ctx["http"])
    return providers[name]


async def _set_status(ctx: JobContext, row: dict, status: str, url: str | None = None) -> None:
    event = ImageStatusEvent(
        image_id=str(row["id"]), book_id=str(row["book"]), status=status,  # type: ignore[arg-type]
        description_id=str(row["description"]), url=url, version=(row.get("variant") or 0) + 1,
        character_id=str(row["character"]) if row.get("character") else None,
    )  # fmt: skip
    await publish(ctx["redis"], ctx["settings"].events_prefix, row["owner"], event)
    await webhook_events.image_status(ctx["redis"], row, status, url)


async def _fail(ctx: JobContext, row: dict, code: str, message: str) -> str:
    await Image.update({
        Image.status: "failed", Image.error_code: code, Image.error_message: message[:2000],
        Image.updated_at: datetime.now(UTC),
    }).where(Image.id == row["id"])  # fmt: skip
    await _set_status(ctx, row, "failed")
    return f"failed: {code}"


async def _cached(digest: str) -> dict | None:
    return (
        await ImageFile.select(ImageFile.id, ImageFile.content_hash)
        .where(ImageFile.prompt_hash == digest)
        .first()
    )


async def _refined_prompt(ctx: JobContext, row: dict) -> str:
    settings: Settings = ctx["settings"]
    if not settings.llm_base_url or row["provider"] == "placeholder":
        return row["prompt"]
    config = LlmConfig(settings.llm_base_url, settings.llm_api_key, settings.llm_model or "gpt-4o-mini")
    refined = await refine_prompt(
        ctx["http"], config, description=row["text"], kind=row["kind"],
        characters=as_of(await character_bible(row["book"]), row["passage_chapter"] or 0, row["passage_end"]),
        fallback=row["prompt"],
    )  # fmt: skip
    if not refined.refined:
        return row["prompt"]
    prompt = compose(refined.text, row["style"])[0]
    await Image.update({Image.prompt: prompt}).where(Image.id == row["id"])
    return prompt


async def _reference(ctx: JobContext, content_hash: str | None) -> tuple[bytes | None, str]:
    """The portrait a scene is drawn from (bytes, media type); none when it is gone (text only then)."""
    if not content_hash:
        return None, ""
    found = await ImageFile.select(ImageFile.media_type).where(ImageFile.content_hash == content_hash).first()
    if found is None:
        return None, ""
    path = file_path(ctx["storage"], content_hash, found["media_type"])
    try:
        return await anyio.Path(path).read_bytes(), found["media_type"]
    except FileNotFoundError:
        log.warning("reference picture %s is missing; drawing from the text only", content_hash)
        return None, ""


async def _produce(ctx: JobContext, row: dict) -> dict:
    """The ImageFile for the row's prompt hash: from the cache, or made now (once across all workers).
    Requests already take cached pictures without a job, so the cache is checked under the lock only."""
    settings: Settings = ctx["settings"]
    ttl = settings.image_timeout * (settings.image_retries + 1) + 60
    lock = ctx["redis"].lock(
        f"{settings.events_prefix}:image-lock:{row['prompt_hash']}", timeout=ttl, blocking_timeout=ttl
    )
    async with lock:
        if cached := await _cached(row["prompt_hash"]):
            return cached
        prompt = await _refined_prompt(ctx, row)
        reference, reference_type = await _reference(ctx, row["reference_hash"])
        image = await provider_for(ctx, row["provider"]).generate(
            ImageRequest(
                prompt=prompt, negative_prompt=row["negative_prompt"], width=row["width"], height=row["height"],
                seed=row["seed"], kind=row["kind"], text=row["text"], style=row["style"],
                variant=row["variant"], reference=reference, reference_media_type=reference_type or "image/png",
            )
        )  # fmt: skip
        content_hash = await store_image(ctx["storage"], image)
        inserted = (
            await ImageFile.insert(
                ImageFile(
                    prompt_hash=row["prompt_hash"], content_hash=content_hash, media_type=image.media_type,
                    width=image.width, height=image.height, size_bytes=len(image.data),
                    provider=image.provider, model=image.model,
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(ImageFile.id, ImageFile.content_hash)
        )  # fmt: skip
    if inserted:
        return inserted[0]
    cached = await _cached(row["prompt_hash"])  # made meanwhile elsewhere (a lock that expired)
    assert cached is not None
    return cached


class _Busy:
    running = 0


_BUSY: weakref.WeakKeyDictionary[httpx.AsyncClient, _Busy] = weakref.WeakKeyDictionary()
MAX_DEFERRALS = 900  # ~30 min of waiting for a free slot, then it runs regardless


def image_job_cap(settings: Settings) -> int:
    """Image jobs one worker runs at once. More would only wait on the provider's limit while holding
    worker slots that book processing needs."""
    return max(2 * settings.image_concurrency, settings.image_concurrency + 4)


async def generate_image(ctx: JobContext, raw: dict) -> str:
    job = GenerateImage.load(raw)
    busy = _BUSY.setdefault(ctx["http"], _Busy())
    if busy.running >= image_job_cap(ctx["settings"]) and job.deferrals < MAX_DEFERRALS:
        later = GenerateImage(image_id=job.image_id, deferrals=job.deferrals + 1)
        await ctx["redis"].delete(f"{result_key_prefix}{later.job_id()}")  # an old run's result blocks the id
        await enqueue(ctx["redis"], later, defer_by=1 + random.random())
        return "deferred"
    busy.running += 1
    try:
        return await _generate(ctx, job)
    finally:
        busy.running -= 1


async def _generate(ctx: JobContext, job: GenerateImage) -> str:
    image_id = uuid.UUID(job.image_id)
    row = (
        await Image.select(
            Image.id, Image.owner, Image.book, Image.description, Image.status, Image.kind, Image.prompt,
            Image.negative_prompt, Image.style, Image.provider, Image.width, Image.height, Image.seed,
            Image.prompt_hash, Image.variant, Image.reference_hash, Image.character,
            Image.description.text.as_alias("text"), Image.description.chapter.as_alias("passage_chapter"),
            Image.description.end.as_alias("passage_end"),
        )
        .where(Image.id == image_id)
        .first()
    )  # fmt: skip
    if row is None or row["status"] not in ("queued", "generating"):
        return "skipped"
    moved = await Image.update({
        Image.status: "generating", Image.attempts: Image.attempts + 1, Image.updated_at: datetime.now(UTC)
    }).where(Image.id == image_id, Image.status.is_in(["queued", "generating"])).returning(Image.id)  # fmt: skip
    if not moved:
        return "skipped"
    await _set_status(ctx, row, "generating")
    tries = ctx.get("job_try", 1)
    try:
        made = await _produce(ctx, row)
    except ProviderError as exc:
        if exc.transient and tries < MAX_TRIES:
            log.warning("image %s: %s; retry %d later", image_id, exc.message, tries)
            await Image.update({Image.status: "queued"}).where(
                Image.id == image_id, Image.status == "generating"
            )
            await _set_status(ctx, row, "queued")
            raise Retry(defer=min(120, 5 * 2**tries)) from exc
        return await _fail(ctx, row, exc.code, exc.message)
    except Exception as exc:
        if (is_transient(exc) or isinstance(exc, LockError)) and tries < MAX_TRIES:
            log.warning("image %s: transient %s, retry %d", image_id, type(exc).__name__, tries)
            raise Retry(defer=min(60, 2**tries)) from exc
        log.exception("image %s failed", image_id)
        return await _fail(ctx, row, "internal_error", f"Generating the image failed: {type(exc).__name__}")
    done = await Image.update({
        Image.status: "ready", Image.file: made["id"], Image.error_code: None, Image.error_message: None,
        Image.updated_at: datetime.now(UTC),
    }).where(Image.id == image_id, Image.status == "generating").returning(Image.id)  # fmt: skip
    if done:
        await _set_status(ctx, row, "ready", file_url(made["content_hash"]))
    return "ready"


FUNCTIONS = [generate_image]


async def recover_stuck_images(ctx: JobContext) -> str:
    """Cron: images left queued/generating (a lost job, a worker killed mid-way) are enqueued again.
    Harmless for live ones: a job id that is queued or running is not enqueued twice."""
    settings: Settings = ctx["settings"]
    cutoff = datetime.now(UTC) - timedelta(seconds=settings.stuck_after)
    rows = (
        await Image.select(Image.id)
        .where(Image.status.is_in(["queued", "generating"]), Image.updated_at < cutoff)
        .limit(500)
    )
    requeued = 0
    for row in rows:
        payload = GenerateImage(image_id=str(row["id"]))
        if await ctx["redis"].exists(f"{result_key_prefix}{payload.job_id()}"):
            await ctx["redis"].delete(f"{result_key_prefix}{payload.job_id()}")
        await Image.update({Image.status: "queued", Image.updated_at: datetime.now(UTC)}).where(
            Image.id == row["id"], Image.status.is_in(["queued", "generating"])
        )
        requeued += await enqueue(ctx["redis"], payload)
    return f"requeued {requeued} of {len(rows)} stuck images"
