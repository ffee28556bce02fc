"""Optional prompt refinement through an OpenAI-compatible chat API.

A language model turns a (possibly Russian, possibly long) description plus the character bible into a
concise English visual prompt. Refinement is a nicety: off without a base URL, and every failure
(timeout, non-200, empty or odd answer) falls back to the plain prompt.
"""

from __future__ import annotations

import logging

import httpx
import msgspec

from bookreader.imaging.prompts import CharacterSheet

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You write prompts for an image generator that illustrates fiction. Given a passage and character "
    "notes, answer with ONE concise English visual description (at most 60 words): subjects, setting, "
    "light, colours, composition. Keep named characters' appearance exactly as in the notes. No style "
    "words, no quotes, no explanations."
)
MAX_REFINED_CHARS = 600


class LlmConfig(msgspec.Struct, frozen=True):
    base_url: str | None = None  # None → refinement off
    api_key: str | None = None
    model: str = "gpt-4o-mini"
    timeout: float = 20.0

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)


class Refined(msgspec.Struct, frozen=True):
    text: str
    refined: bool  # False: the fallback was used
    reason: str | None = None  # why the fallback was used


def _user_message(description: str, kind: str, characters: list[CharacterSheet]) -> str:
    notes = "\n".join(f"- {c.name}: {c.appearance}" for c in characters if c.appearance) or "- none"
    return f"Type: {kind}\nCharacter notes:\n{notes}\nPassage:\n{description}"


def _clean(answer: object) -> str | None:
    if not isinstance(answer, str):
        return None
    text = " ".join(answer.split()).strip().strip("\"'“”«»").strip()
    if len(text) < 8 or len(text) > 4000:
        return None
    # A refusal or chatter is worse than the plain prompt.
    if text.lower().startswith(("i'm sorry", "i am sorry", "i cannot", "i can't", "as an ai")):
        return None
    return text[:MAX_REFINED_CHARS].rsplit(" ", 1)[0] if len(text) > MAX_REFINED_CHARS else text


async def refine_prompt(
    client: httpx.AsyncClient,
    config: LlmConfig,
    *,
    description: str,
    kind: str,
    characters: list[CharacterSheet],
    fallback: str,
) -> Refined:
    if not config.enabled:
        return Refined(fallback, refined=False, reason="disabled")
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    payload = {
        "model": config.model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": _user_message(description, kind, characters)},
        ],
        "temperature": 0.3,
        "max_tokens": 200,
    }
    url = f"{config.base_url.rstrip('/')}/chat/completions"
    try:
        response = await client.post(url, json=payload, headers=headers, timeout=config.timeout)
        if response.status_code != 200:
            return Refined(fallback, refined=False, reason=f"status {response.status_code}")
        body = response.json()
        answer = body["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.info("prompt refinement failed, using the plain prompt: %r", exc)
        return Refined(fallback, refined=False, reason=type(exc).__name__)
    text = _clean(answer)
    if text is None:
        return Refined(fallback, refined=False, reason="unusable answer")
    return Refined(text, refined=True)
