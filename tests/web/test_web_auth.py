"""Accounts and access tokens: sign up, sign in, me, sign out; bad tokens are 401."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from spinelift.storage.db import Database
from spinelift.storage.models import AuditEntry
from tests.web.support_web import PASSWORD, SECRET, sign_up_and_in, token


def _actions(db: Database) -> list[str]:
    with db.session(readonly=True) as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_signup_signin_me_signout(client: TestClient, web_db: Database) -> None:
    email = "Ada@Example.com"
    created = client.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201
    assert created.json()["email"] == "ada@example.com"
    assert "password" not in created.text and "hash" not in created.text

    signed_in = client.post(
        "/api/v1/auth/signin", json={"email": "ada@example.COM", "password": PASSWORD}
    )
    assert signed_in.status_code == 200
    body = signed_in.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    headers = {"Authorization": f"Bearer {body['access_token']}"}

    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json()["email"] == "ada@example.com"

    assert client.post("/api/v1/auth/signout", headers=headers).status_code == 204
    after = client.get("/api/v1/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "UNAUTHORIZED"
    assert _actions(web_db) == ["user.create", "user.signin", "user.signout"]


def test_duplicate_email_is_409_and_short_password_422(client: TestClient) -> None:
    first = client.post(
        "/api/v1/auth/signup", json={"email": "b@example.com", "password": PASSWORD}
    )
    assert first.status_code == 201
    again = client.post(
        "/api/v1/auth/signup", json={"email": "B@example.com", "password": PASSWORD}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "CONFLICT"
    short = client.post("/api/v1/auth/signup", json={"email": "c@example.com", "password": "short"})
    assert short.status_code == 422
    assert "password" in short.json()["error"]["details"]["fields"]


def test_wrong_password_and_unknown_email_are_the_same_401(
    client: TestClient, web_db: Database
) -> None:
    client.post("/api/v1/auth/signup", json={"email": "d@example.com", "password": PASSWORD})
    wrong = client.post(
        "/api/v1/auth/signin", json={"email": "d@example.com", "password": "x" * 12}
    )
    unknown = client.post(
        "/api/v1/auth/signin", json={"email": "e@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert _actions(web_db).count("user.signin_failed") == 2


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    return {"sub": "1", "jti": "abc", "iat": now, "exp": now + 600, **changes}


@pytest.mark.parametrize(
    "bearer",
    [
        pytest.param("not-a-jwt", id="garbage"),
        pytest.param(token(_claims(), key="another-key-" + "y" * 40), id="wrong-key"),
        pytest.param(token(_claims(), algorithm="none", key=""), id="alg-none"),
        pytest.param(token(_claims(), algorithm="HS512"), id="other-alg"),
        pytest.param(token(_claims(exp=int(time.time()) - 5)), id="expired"),
        pytest.param(token({"sub": "1", "exp": int(time.time()) + 600}), id="no-jti"),
    ],
)
def test_bad_tokens_are_401(client: TestClient, bearer: str) -> None:
    sign_up_and_in(client)  # user 1 exists (on a fresh database), so only the token is wrong
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "UNAUTHORIZED" and set(error) == {"code", "message", "details"}


def test_missing_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/projects")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_a_token_made_with_our_key_is_accepted(client: TestClient) -> None:
    """The control of the table above: same claims, right key and algorithm."""
    headers = sign_up_and_in(client)
    user_id = client.get("/api/v1/me", headers=headers).json()["id"]
    forged = token(_claims(sub=str(user_id)), key=SECRET)
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 200
    )
