"""The optional LLM pass over a book's candidate passages (issue 11 point 5).

When BOOKREADER_LLM_BASE_URL and BOOKREADER_LLM_MODEL are set, the analysis job sends each chapter's
candidates in ONE chat request to an OpenAI-compatible API, asking for a JSON-schema answer
(`response_format: json_schema`): per passage its type, keep or drop, and a one-line visual summary.
Verdicts are cached in Redis by the hash of (chapter text, candidates, model), so re-analysis and a second
upload of the same book cost nothing; at most `llm_judge_max_calls_per_book` calls are made per analysis.
Whatever goes wrong for a chapter — timeout, non-200, malformed or off-schema JSON — its local result stands.
This is I/O: it runs on the job's event loop (httpx), never in the NLP process pool.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from typing import Literal

import httpx
import msgspec
from redis.asyncio import Redis

from bookreader.nlp import ChapterText, FoundDescription
from bookreader.settings import Settings

log = logging.getLogger(__name__)

CACHE_PREFIX = "bookreader:llm-judge:v1:"
MAX_SUMMARY_CHARS = 200
TYPES = ("location", "character", "atmosphere", "object", "action")
SYSTEM_PROMPT = (
    "You choose passages of fiction to illustrate. For each numbered candidate passage decide: its type "
    "(location: the look of a place; character: a person's visible appearance; atmosphere: light, weather, "
    "sounds, smells, time of day; object: the look of one particular thing; action: a vivid visible physical "
    "action), whether to keep it (keep only passages a painter could draw from the text alone: concrete, "
    "visual, not dialogue or thoughts), and a one-line English visual summary of what the picture would show. "
    "Answer with JSON matching the schema, one entry per candidate id."
)
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "passage_verdicts",
        "strict": True,
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "required": ["passages"],
            "properties": {
                "passages": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "type", "keep", "summary"],
                        "properties": {
                            "id": {"type": "integer"},
                            "type": {"type": "string", "enum": list(TYPES)},
                            "keep": {"type": "boolean"},
                            "summary": {"type": "string"},
                        },
                    },
                }
            },
        },
    },
}


class Verdict(msgspec.Struct, frozen=True):
    id: int
    type: Literal["location", "character", "atmosphere", "object", "action"]
    keep: bool
    summary: str


class Verdicts(msgspec.Struct, frozen=True):
    passages: list[Verdict]


class JudgeReport(msgspec.Struct):
    chapters: int = 0  # chapters with candidates
    calls: int = 0  # requests made
    cached: int = 0  # chapters answered from the cache
    judged: int = 0  # chapters whose verdicts were applied
    failed: int = 0  # calls whose answer was not used (the local result stood)
    skipped: int = 0  # chapters over the per-book cap
    dropped: int = 0  # passages the judge dropped


def enabled(settings: Settings) -> bool:
    return bool(settings.llm_base_url and settings.llm_model)


def cache_key(settings: Settings, text: str, candidates: list[FoundDescription]) -> str:
    digest = hashlib.sha256()
    digest.update(f"{settings.llm_model}\0{SYSTEM_PROMPT}\0".encode())
    digest.update(hashlib.sha256(text.encode()).digest())
    for d in candidates:
        digest.update(f"{d.start}:{d.end}:{d.type};".encode())
    return CACHE_PREFIX + digest.hexdigest()


def user_message(candidates: list[FoundDescription]) -> str:
    return json.dumps(
        {"candidates": [{"id": i, "type": d.type, "text": d.text} for i, d in enumerate(candidates)]},
        ensure_ascii=False,
    )


def parse_answer(body: bytes, count: int) -> dict[int, Verdict] | None:
    """The verdicts of a chat completion, or None when the answer is not what the schema promised."""
    try:
        content = msgspec.json.decode(body)["choices"][0]["message"]["content"]
        verdicts = msgspec.json.decode(content, type=Verdicts)
    except (msgspec.DecodeError, msgspec.ValidationError, KeyError, IndexError, TypeError):
        return None
    found = {v.id: v for v in verdicts.passages if 0 <= v.id < count}
    return found or None


async def ask(
    client: httpx.AsyncClient, settings: Settings, candidates: list[FoundDescription]
) -> bytes | None:
    """One chat completion for a chapter's candidates; None on timeout, transport error or non-200."""
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    payload = {
        "model": settings.llm_model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user_message(candidates)},
        ],
        "temperature": 0,
        "response_format": RESPONSE_FORMAT,
    }
    url = f"{settings.llm_base_url.rstrip('/')}/chat/completions"
    try:
        response = await client.post(url, json=payload, headers=headers, timeout=settings.llm_judge_timeout)
    except httpx.HTTPError as exc:
        log.info("LLM judge call failed, the local result stands: %r", exc)
        return None
    if response.status_code != 200:
        log.info("LLM judge answered %d, the local result stands", response.status_code)
        return None
    return response.content


def apply(candidates: list[FoundDescription], verdicts: dict[int, Verdict]) -> list[FoundDescription]:
    """Kept passages take the judge's type and summary; dropped ones go; unjudged ones stay as they were."""
    kept = []
    for i, d in enumerate(candidates):
        verdict = verdicts.get(i)
        if verdict is None:
            kept.append(d)
        elif verdict.keep:
            summary = " ".join(verdict.summary.split())[:MAX_SUMMARY_CHARS] or None
            kept.append(msgspec.structs.replace(d, type=verdict.type, summary=summary))
    return kept


async def judge(
    client: httpx.AsyncClient,
    redis: Redis,
    settings: Settings,
    chapters: list[ChapterText],
    descriptions: list[FoundDescription],
) -> tuple[list[FoundDescription], JudgeReport]:
    """The descriptions after the judge (same order); the report says what happened per chapter."""
    report = JudgeReport()
    if not enabled(settings) or not descriptions:
        return descriptions, report
    texts = {c.number: c.text for c in chapters}
    by_chapter: dict[int, list[FoundDescription]] = defaultdict(list)
    for d in descriptions:
        by_chapter[d.chapter].append(d)
    report.chapters = len(by_chapter)
    numbers = sorted(by_chapter)
    keys = [cache_key(settings, texts.get(n, ""), by_chapter[n]) for n in numbers]
    cached = await redis.mget(keys)
    verdicts: dict[int, dict[int, Verdict]] = {}
    to_ask: list[int] = []
    for number, body in zip(numbers, cached, strict=True):
        found = parse_answer(body, len(by_chapter[number])) if body else None
        if found is not None:
            verdicts[number] = found
            report.cached += 1
        elif len(to_ask) < settings.llm_judge_max_calls_per_book:
            to_ask.append(number)  # the cap spends calls on the first chapters: those are read first
        else:
            report.skipped += 1
    gate = asyncio.Semaphore(max(1, settings.llm_judge_concurrency))

    async def call(number: int, key: str) -> None:
        async with gate:
            body = await ask(client, settings, by_chapter[number])
        found = parse_answer(body, len(by_chapter[number])) if body is not None else None
        if found is None:
            report.failed += 1
            return
        verdicts[number] = found
        await redis.set(key, body, ex=settings.llm_judge_cache_ttl)

    report.calls = len(to_ask)
    key_of = dict(zip(numbers, keys, strict=True))
    await asyncio.gather(*(call(n, key_of[n]) for n in to_ask))
    results = []
    for number in numbers:
        if number in verdicts:
            kept = apply(by_chapter[number], verdicts[number])
            report.judged += 1
            report.dropped += len(by_chapter[number]) - len(kept)
            results.append(kept)
        else:
            results.append(by_chapter[number])
    judged = [d for part in results for d in part]
    judged.sort(key=lambda d: (d.chapter, d.start))
    return judged, report
