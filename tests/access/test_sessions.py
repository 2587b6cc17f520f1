"""Signing in through the web: sessions, CSRF, fixation, lockout, tokens, and the audit log
that records them."""

from __future__ import annotations

import re

import pytest
from access_site import PASSWORD

from trawl.access.audit import AuditLog
from trawl.access.store import AccessStore
from trawl.web.auth import SESSION_COOKIE


def login_token(client) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    return re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)


def sign_in(client, name: str, password: str = PASSWORD, next_url: str = "/"):
    return client.post("/login", data={"name": name, "password": password,
                                       "login_token": login_token(client), "next": next_url})


def csrf_of(client) -> str:
    page = client.get("/datasets")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_sign_in_and_out(browser_client):
    response = sign_in(browser_client, "journalist")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    me = browser_client.get("/api/me").json()
    assert me["name"] == "journalist"
    assert me["datasets"] == {"open": "redacted", "shared": "full"}
    out = browser_client.post("/logout", data={"csrf": csrf_of(browser_client)})
    assert out.status_code == 303
    assert browser_client.get("/api/me").json()["name"] is None


def test_wrong_password_is_refused_with_one_message(browser_client):
    wrong = sign_in(browser_client, "journalist", "not the password")
    unknown = sign_in(browser_client, "nobody-at-all", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong name or password." in wrong.text and "Wrong name or password." in unknown.text


def test_the_login_form_needs_its_own_token(browser_client):
    response = browser_client.post("/login", data={"name": "journalist",
                                                    "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_a_cross_site_post_is_refused(browser_client):
    sign_in(browser_client, "admin")
    response = browser_client.post("/admin/datasets/secret/visibility",
                                   data={"visibility": "public", "csrf": csrf_of(browser_client)},
                                   headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_state_changes_need_the_session_csrf_token(browser_client, archive):
    sign_in(browser_client, "admin")
    without = browser_client.post("/admin/datasets/secret/grants",
                                  data={"principal": "user", "who": "reader"})
    assert without.status_code == 403
    forged = browser_client.post("/admin/datasets/secret/grants",
                                 data={"principal": "user", "who": "reader", "csrf": "x" * 43})
    assert forged.status_code == 403
    store = AccessStore(archive.access_path)
    assert not [g for g in store.grants("secret")]
    store.close()
    logout = browser_client.post("/logout")
    assert logout.status_code == 403  # even signing out needs it (no forced logout)


def test_admin_grants_and_revokes_from_the_web(browser_client, archive, callers):
    sign_in(browser_client, "admin")
    token = csrf_of(browser_client)
    done = browser_client.post("/admin/datasets/secret/grants",
                               data={"principal": "user", "who": "reader", "csrf": token})
    assert done.status_code == 303
    reader = callers["reader"].headers()
    try:
        assert browser_client.get("/api/datasets/secret", headers=reader).status_code == 200
    finally:
        browser_client.post("/admin/datasets/secret/grants", data={
            "principal": "user", "who": "reader", "action": "revoke", "csrf": token})
    assert browser_client.get("/api/datasets/secret", headers=reader).status_code == 404
    log = AuditLog(archive.audit_path, archive.secret_key_path)
    actions = [(e.action, e.dataset, e.target) for e in log.entries(actor="admin", limit=20)]
    log.close()
    assert ("grant", "secret", "user:reader") in actions
    assert ("revoke", "secret", "user:reader") in actions


def test_a_session_id_planted_before_login_is_worthless(browser_client):
    planted = "attacker-chosen-session-id"
    browser_client.cookies.set(SESSION_COOKIE, planted)
    response = sign_in(browser_client, "journalist")
    issued = response.cookies.get(SESSION_COOKIE)
    assert issued and issued != planted
    from fastapi.testclient import TestClient

    with TestClient(browser_client.app) as attacker:
        attacker.cookies.set(SESSION_COOKIE, planted)
        assert attacker.get("/api/me").json()["name"] is None


def test_the_next_address_stays_on_this_site(browser_client):
    response = sign_in(browser_client, "journalist", next_url="//evil.example/steal")
    assert response.headers["location"] == "/"
    response = sign_in(browser_client, "journalist", next_url="/datasets")
    assert response.headers["location"] == "/datasets"


def test_brute_force_locks_the_name_out(browser_client, archive):
    store = AccessStore(archive.access_path)
    store.add_user("target", PASSWORD)
    try:
        for _ in range(5):
            assert sign_in(browser_client, "target", "guess guess guess").status_code == 401
        locked = sign_in(browser_client, "target", PASSWORD)  # the right password, too late
        assert locked.status_code == 401
        assert "Too many failed attempts" in locked.text
        store.unlock("target")
        assert sign_in(browser_client, "target", PASSWORD).status_code == 303
    finally:
        store.remove_user("target")
        store.close()


def test_revoked_and_expired_tokens_stop_working(web, archive):
    store = AccessStore(archive.access_path)
    secret, _ = store.create_token("reader", "short-lived")
    headers = {"Authorization": f"Bearer {secret}"}
    assert web.get("/api/me", headers=headers).json()["name"] == "reader"
    store.revoke_token("reader", "short-lived")
    assert web.get("/api/me", headers=headers).status_code == 401
    expired, _ = store.create_token("reader", "expired", days=-1)
    assert web.get("/api/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    store.close()


def test_a_new_password_ends_every_session(browser_client, archive):
    store = AccessStore(archive.access_path)
    store.add_user("mover", PASSWORD)
    try:
        sign_in(browser_client, "mover")
        assert browser_client.get("/api/me").json()["name"] == "mover"
        store.set_password("mover", "another long password 2")
        assert browser_client.get("/api/me").json()["name"] is None
    finally:
        store.remove_user("mover")
        store.close()


def test_logins_searches_and_downloads_are_audited(browser_client, archive, callers):
    sign_in(browser_client, "journalist")
    browser_client.get("/api/search", params={"q": "zebracorn"})
    hit = browser_client.get("/api/search", params={"q": "zebracorn",
                                                    "dataset": "shared"}).json()["hits"][0]
    browser_client.get(f"/documents/{hit['id']}/original")
    log = AuditLog(archive.audit_path, archive.secret_key_path)
    try:
        entries = log.entries(actor="journalist", limit=10)
        actions = [e.action for e in entries]
        assert "login" in actions and "search" in actions and "download" in actions
        download = next(e for e in entries if e.action == "download")
        assert download.dataset == "shared" and download.target == hit["id"]
        assert download.ip  # from where
        search = next(e for e in entries if e.action == "search")
        assert search.target == "zebracorn"
        assert log.verify().ok
    finally:
        log.close()


@pytest.mark.parametrize("password", ["short", "aaaaaaaaaaaaaa", "journalist-password"])
def test_weak_passwords_are_refused(archive, password):
    store = AccessStore(archive.access_path)
    try:
        with pytest.raises(ValueError):
            store.set_password("journalist", password)
    finally:
        store.close()
