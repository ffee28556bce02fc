"""Admin API: who may call it, users (search, plan/role, disable), system figures; `create-admin` CLI."""

from __future__ import annotations

import httpx
from tests.harness import create_admin, random_email
from tests.support import Reader, sign_up


async def admin_reader(client: httpx.AsyncClient, admin_account: tuple[str, str]) -> Reader:
    """The session's admin (conftest `admin_account`, made by `create-admin`), logged in on `client`."""
    email, password = admin_account
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return Reader(client, email, password, login.json())


async def test_create_admin_creates_then_promotes(client: httpx.AsyncClient, migrated) -> None:
    email, password = random_email(), "admin password 1"
    assert "admin created" in create_admin(migrated, email, password, timeout=60)
    admin = await admin_reader(client, (email, password))
    me = (await admin.get("/api/v1/users/me")).json()
    assert me["role"] == "admin"

    user = await sign_up(client)
    assert (await user.get("/api/v1/users/me")).json()["role"] == "user"
    assert "admin promoted" in create_admin(migrated, user.email, "ignored pass", timeout=60)
    assert (await user.get("/api/v1/users/me")).json()["role"] == "admin"


async def test_admin_routes_refuse_anonymous_and_users(base_url: str, reader: Reader) -> None:
    anonymous_client = httpx.AsyncClient(base_url=base_url, timeout=10)  # no session cookie
    client = reader.http
    for method, url in [
        ("GET", "/api/v1/admin/users"),
        ("GET", "/api/v1/admin/system"),
        ("PATCH", "/api/v1/admin/users/00000000-0000-0000-0000-000000000000"),
    ]:
        anonymous = await anonymous_client.request(method, url, json={"plan": "premium"})
        assert anonymous.status_code == 401, (url, anonymous.text)
        refused = await client.request(method, url, json={"plan": "premium"}, headers=reader.headers)
        assert refused.status_code == 403, (url, refused.text)
        assert refused.json()["code"] == "forbidden"
    await anonymous_client.aclose()


async def test_list_search_and_update_users(client: httpx.AsyncClient, admin_account) -> None:
    admin = await admin_reader(client, admin_account)
    user = await sign_up(client)
    found = (await admin.get("/api/v1/admin/users", params={"q": user.email.upper()})).json()
    assert found["total"] == 1 and found["items"][0]["email"] == user.email
    target = found["items"][0]
    assert target["role"] == "user" and target["plan"] == "free" and target["disabled"] is False

    page = (await admin.get("/api/v1/admin/users", params={"limit": 1, "offset": 0})).json()
    assert len(page["items"]) == 1 and page["total"] >= 2

    changed = await admin.patch(
        f"/api/v1/admin/users/{target['id']}", json={"plan": "premium", "role": "admin"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["plan"] == "premium" and changed.json()["role"] == "admin"
    assert (await user.get("/api/v1/users/me")).json()["plan"] == "premium"

    bad = await admin.patch(f"/api/v1/admin/users/{target['id']}", json={"plan": "platinum"})
    assert bad.status_code == 400
    missing = await admin.patch(
        "/api/v1/admin/users/00000000-0000-0000-0000-000000000000", json={"plan": "free"}
    )
    assert missing.status_code == 404

    me = (await admin.get("/api/v1/users/me")).json()
    lockout = await admin.patch(f"/api/v1/admin/users/{me['id']}", json={"disabled": True})
    assert lockout.status_code == 422 and lockout.json()["code"] == "self_lockout"


async def test_disabling_a_user_ends_their_sessions(client: httpx.AsyncClient, admin_account) -> None:
    admin = await admin_reader(client, admin_account)
    user = await sign_up(client)
    user_id = (await user.get("/api/v1/users/me")).json()["id"]

    disabled = await admin.patch(f"/api/v1/admin/users/{user_id}", json={"disabled": True})
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True

    assert (await user.get("/api/v1/users/me")).status_code == 401
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": user.tokens["refresh_token"]})
    assert refresh.status_code == 401
    login = await client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert login.status_code == 401 and login.json()["code"] == "account_disabled"

    enabled = await admin.patch(f"/api/v1/admin/users/{user_id}", json={"disabled": False})
    assert enabled.json()["disabled"] is False
    login = await client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert login.status_code == 200
    # the refresh token issued before the ban stays revoked
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": user.tokens["refresh_token"]})
    assert again.status_code == 401


async def test_system_figures(client: httpx.AsyncClient, admin_account, shared_books) -> None:
    admin = await admin_reader(client, admin_account)
    user = await sign_up(client)
    book_path = shared_books / "epub2" / "gutenberg-kafka-metamorphosis.epub"
    uploaded = await user.upload(book_path)
    assert uploaded.status_code in (200, 202), uploaded.text
    book = await user.wait_for_book(uploaded.json()["id"])
    assert book["status"] == "ready", book

    system = (await admin.get("/api/v1/admin/system")).json()
    assert system["redis"] == "ok"
    assert system["users"]["total"] >= 2 and system["users"]["admins"] >= 1
    assert system["books"]["ready"] >= 1 and system["books"]["total"] >= system["books"]["ready"]
    assert set(system["books"]) >= {"queued", "parsing", "analyzing", "ready", "failed", "total"}
    assert system["storage_bytes"] >= book_path.stat().st_size  # at least the original upload
    assert system["data_dir_bytes"] >= system["storage_bytes"]
    assert system["workers"] >= 1  # the embedded worker's heartbeat
    assert system["jobs"]["parse_book"]["ok"] >= 1
    assert system["queue_depth"] >= 0 and system["job_failures"] >= 0
    assert "total" in system["images"]

    metrics = (
        await client.get("/metrics")
    ).text  # `serve`: the embedded worker's jobs show on the API's /metrics
    assert 'bookreader_jobs_total{function="parse_book",outcome="ok"}' in metrics
    assert "bookreader_job_duration_seconds_bucket" in metrics and "bookreader_queue_depth" in metrics
    assert 'bookreader_http_requests_total{method="GET",route="/api/v1/admin/system",status="200"}' in metrics
