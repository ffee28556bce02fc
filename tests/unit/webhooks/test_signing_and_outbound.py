import base64
import time

import pytest
from standardwebhooks import Webhook as ReferenceVerifier

from bookreader.domain.webhooks.outbound import UnsafeTarget, check_target, check_url_shape, forbidden_address
from bookreader.domain.webhooks.signing import headers, new_secret, sign


def test_signatures_verify_with_the_reference_library() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
    body = '{"id":"msg_1","type":"book.ready","created_at":"2026-11-28T08:00:00Z","data":{"ü":"ё"}}'
    now = int(time.time())
    sent = headers(secret, "msg_1", now, body)
    assert ReferenceVerifier(secret).verify(body.encode(), sent)["data"] == {"ü": "ё"}
    assert sent["Webhook-Signature"] == sign(secret, "msg_1", now, body)
    with pytest.raises(Exception, match="signature"):
        ReferenceVerifier(new_secret()).verify(body.encode(), sent)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fe80::1", "fd00::1",
     "0.0.0.0", "100.64.0.1", "::ffff:127.0.0.1", "224.0.0.1", "192.0.2.10"],
)  # fmt: skip
def test_internal_addresses_are_forbidden(address: str) -> None:
    assert forbidden_address(address)


def test_public_addresses_are_allowed() -> None:
    assert not forbidden_address("93.184.215.14") and not forbidden_address(
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c"
    )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x.org/",
        "http://",
        "http://u:p@x.org/",
        "http://[::1/",
        "http://x.org:99999/",
        "http://a b/",
        "/relative",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        check_url_shape(url)


async def test_resolution_is_checked_unless_private_is_allowed() -> None:
    with pytest.raises(UnsafeTarget):
        await check_target("http://localhost:8000/hook", allow_private=False)
    with pytest.raises(UnsafeTarget):
        await check_target("http://metadata.google.internal/", allow_private=False)
    await check_target("http://127.0.0.1:8000/hook", allow_private=True)
    await check_target("http://93.184.215.14/hook", allow_private=False)  # a literal: no DNS needed
