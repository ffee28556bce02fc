"""The optional LLM judge (issue 11 point 5) against a chat API of the test's own on 127.0.0.1 and the real
Redis of the test session: verdicts applied, one call per chapter, cached by chapter text, capped per
book, and the local result standing when the answer is malformed, late or an error."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from redis.asyncio import Redis
from tests.harness import Infrastructure
from tests.stub_server import StubApiServer, json_reply

from bookreader.domain.descriptions import judging
from bookreader.nlp import ChapterText, FoundDescription
from bookreader.settings import load_settings

SCENE = "The old mill stood by the black pool, its wheel green with moss under the grey willows."
TALK = "She said that she would come back tomorrow, and he thought about it for a long time."


@pytest.fixture(scope="module")
def chat() -> Iterator[StubApiServer]:
    with StubApiServer() as server:
        yield server


@pytest.fixture
async def redis(infra: Infrastructure) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def settings_for(chat: StubApiServer, **overrides):
    values = {"llm_base_url": f"{chat.base_url}/v1", "llm_model": "judge-1", "llm_judge_timeout": 2.0}
    return load_settings({}, **(values | overrides))


def book(chapters: int = 1) -> tuple[list[ChapterText], list[FoundDescription]]:
    """Chapters with two candidates each; a random tag makes the texts (and cache keys) this test's own."""
    tag = uuid.uuid4().hex
    texts, found = [], []
    for number in range(1, chapters + 1):
        text = f"{SCENE} {TALK} [{tag}]"
        texts.append(ChapterText(number, text))
        found.append(FoundDescription(number, "atmosphere", 0, len(SCENE), SCENE, 0.6, 1.2))
        start = len(SCENE) + 1
        found.append(FoundDescription(number, "action", start, start + len(TALK), TALK, 0.4, 0.8))
    return texts, found


def verdicts(*items: tuple[int, str, bool, str]) -> str:
    return json.dumps({"passages": [{"id": i, "type": t, "keep": k, "summary": s} for i, t, k, s in items]})


GOOD = verdicts((0, "location", True, "  A mossy mill wheel by a black pool  "), (1, "action", False, ""))


async def test_verdicts_are_applied_and_the_request_asks_for_the_schema(chat, redis, http) -> None:
    chat.reset()
    chat.chat_answer = GOOD
    chapters, found = book(chapters=2)
    judged, report = await judging.judge(http, redis, settings_for(chat, llm_api_key="sk-9"), chapters, found)

    assert [(d.chapter, d.type, d.summary) for d in judged] == [
        (1, "location", "A mossy mill wheel by a black pool"),
        (2, "location", "A mossy mill wheel by a black pool"),
    ]
    assert [(d.start, d.end, d.text) for d in judged] == [(0, len(SCENE), SCENE)] * 2, "offsets unchanged"
    assert (report.calls, report.judged, report.dropped, report.failed) == (2, 2, 2, 0)
    assert chat.count("/v1/chat/completions") == 2, "one request per chapter, all its candidates in it"
    body = chat.hits[0].json()
    assert body["model"] == "judge-1"
    assert body["response_format"]["type"] == "json_schema"
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["passages"]["items"]["required"] == ["id", "type", "keep", "summary"]
    sent = json.loads(body["messages"][1]["content"])["candidates"]
    assert [c["text"] for c in sent] == [SCENE, TALK]


async def test_a_second_run_is_answered_from_the_cache(chat, redis, http) -> None:
    chat.reset()
    chat.chat_answer = GOOD
    chapters, found = book()
    first, _ = await judging.judge(http, redis, settings_for(chat), chapters, found)
    chat.chat_answer = verdicts((0, "object", False, "changed"), (1, "object", False, "changed"))
    again, report = await judging.judge(http, redis, settings_for(chat), chapters, found)
    assert again == first
    assert (report.cached, report.calls) == (1, 0) and chat.count() == 1


@pytest.mark.parametrize(
    "answer",
    ["this is not json", '{"passages": [{"id": 0, "type": "smell", "keep": true, "summary": "x"}]}', "{}"],
)
async def test_malformed_answers_leave_the_local_result(chat, redis, http, answer: str) -> None:
    chat.reset()
    chat.chat_answer = answer
    chapters, found = book()
    judged, report = await judging.judge(http, redis, settings_for(chat), chapters, found)
    assert judged == found and (report.failed, report.judged) == (1, 0)
    chat.chat_answer = GOOD  # nothing was cached: the next run asks again and gets a usable answer
    judged, report = await judging.judge(http, redis, settings_for(chat), chapters, found)
    assert report.calls == 1 and [d.type for d in judged] == ["location"]


async def test_timeout_and_server_error_leave_the_local_result(chat, redis, http) -> None:
    chat.reset()
    chat.queue(json_reply({"choices": [{"message": {"content": GOOD}}]}, delay=1.0), path="chat")
    chat.queue(json_reply({"error": {"message": "overloaded"}}, 500), path="chat")
    chapters, found = book(chapters=2)
    judged, report = await judging.judge(
        http, redis, settings_for(chat, llm_judge_timeout=0.3, llm_judge_concurrency=1), chapters, found
    )
    assert judged == found
    assert (report.calls, report.failed, report.judged) == (2, 2, 0)


async def test_calls_per_book_are_capped(chat, redis, http) -> None:
    chat.reset()
    chat.chat_answer = GOOD
    chapters, found = book(chapters=3)
    judged, report = await judging.judge(
        http, redis, settings_for(chat, llm_judge_max_calls_per_book=1), chapters, found
    )
    assert chat.count() == 1 and (report.calls, report.skipped) == (1, 2)
    assert [d.chapter for d in judged] == [1, 2, 2, 3, 3], "chapter 1 judged, the others as found"


async def test_off_without_a_model(chat, redis, http) -> None:
    chat.reset()
    chapters, found = book()
    judged, report = await judging.judge(http, redis, settings_for(chat, llm_model=None), chapters, found)
    assert judged == found and report.calls == 0 and chat.count() == 0
