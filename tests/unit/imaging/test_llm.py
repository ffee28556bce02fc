"""Prompt refinement against a fake OpenAI-compatible chat server of our own."""

from __future__ import annotations

from tests.stub_server import Reply, json_reply

from bookreader.imaging.llm import LlmConfig, refine_prompt
from bookreader.imaging.prompts import CharacterSheet

CHARACTERS = [CharacterSheet("Анна", "slender woman, black curls")]


async def refine(client, config):
    return await refine_prompt(
        client,
        config,
        description="Анна стояла на перроне.",
        kind="character",
        characters=CHARACTERS,
        fallback="PLAIN",
    )


async def test_refined_prompt_comes_from_the_chat_api(stub, client):
    stub.chat_answer = '  "A slender woman with black curls on a snowy railway platform"  '
    result = await refine(client, LlmConfig(base_url=f"{stub.base_url}/v1", api_key="sk-1", model="tiny"))

    assert (result.text, result.refined) == (
        "A slender woman with black curls on a snowy railway platform",
        True,
    )
    hit = stub.hits[0]
    assert hit.path == "/v1/chat/completions"
    body = hit.json()
    assert body["model"] == "tiny"
    assert "Анна: slender woman, black curls" in body["messages"][1]["content"]
    assert "Анна стояла на перроне." in body["messages"][1]["content"]


async def test_off_without_a_base_url(stub, client):
    result = await refine(client, LlmConfig())
    assert (result.text, result.refined, result.reason) == ("PLAIN", False, "disabled")
    assert stub.count() == 0


async def test_non_200_falls_back(stub, client):
    stub.queue(json_reply({"error": {"message": "no"}}, 500))
    result = await refine(client, LlmConfig(base_url=stub.base_url))
    assert (result.text, result.refined, result.reason) == ("PLAIN", False, "status 500")


async def test_garbage_falls_back(stub, client):
    stub.queue(
        Reply(200, b"<html>oops</html>"),
        json_reply({"choices": []}),
        json_reply({"choices": [{"message": {}}]}),
    )
    for _ in range(3):
        result = await refine(client, LlmConfig(base_url=stub.base_url))
        assert (result.text, result.refined) == ("PLAIN", False)
    assert stub.count() == 3


async def test_refusal_falls_back(stub, client):
    stub.chat_answer = "I'm sorry, I can't help with that."
    result = await refine(client, LlmConfig(base_url=stub.base_url))
    assert (result.text, result.refined, result.reason) == ("PLAIN", False, "unusable answer")


async def test_timeout_falls_back(stub, client):
    stub.queue(json_reply({"choices": [{"message": {"content": "late answer here"}}]}, delay=1.0))
    result = await refine(client, LlmConfig(base_url=stub.base_url, timeout=0.2))
    assert (result.text, result.refined, result.reason) == ("PLAIN", False, "ReadTimeout")
