"""The JSON API as the one-stop system uses it: an admin makes a key for a unit (shown once,
kept hashed, revocable, audited), and a post of returned dossiers with that key invites their
citizens through the same rules as an upload, within the key's subtree only."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey, AuditEvent, InvitationBatch, Unit
from tests.factories import make_counter, make_unit, make_user
from tests.helpers import AuthActions, csrf_token_of
from tests.sms_gateway import phones, work

URL = "/api/v1/returned-dossiers"


@pytest.fixture
def keys(app, sending):
    """The commune XA of `sending` (two counters, a running campaign), another commune with a
    counter, an admin of the province and a manager of XA; a key of XA made on the page."""
    with app.app_context():
        province = db.session.scalars(select(Unit).where(Unit.parent_id.is_(None))).one()
        other = make_unit("XC", "UBND xã Khác", "commune", parent=province)
        foreign = make_counter(other, "Quầy khác").code
        make_user("admin", "admin", province)
        make_user("manager", "manager",
                  db.session.scalars(select(Unit).where(Unit.code == "XA")).one())
    client = app.test_client()
    AuthActions(client).login("admin")
    secret = make_key(client, "Một cửa xã Thử", "XA")
    return {**sending, "admin": client, "secret": secret, "foreign": foreign}


def make_key(client, name: str, unit: str) -> str:
    page = client.get("/admin/api-keys")
    answer = client.post("/admin/api-keys", data={
        "csrf_token": csrf_token_of(page), "name": name, "unit": unit,
        "purpose": "invitations"})
    assert answer.status_code == 201
    html = answer.get_data(as_text=True)
    start = html.index('<code class="secret">') + len('<code class="secret">')
    return html[start:html.index("</code>", start)]


def dossiers(setup, numbers, **extra) -> list[dict]:
    yesterday = (setup["today"] - timedelta(days=1)).isoformat()
    return [{"returned_on": yesterday, "counter_code": setup["codes"][n % 2], "phone": phone,
             "channel": "truc_tiep", "immediate": False, "dossier": f"HS-{phone}", **extra}
            for n, phone in enumerate(numbers)]


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_a_key_is_shown_once_kept_hashed_and_audited(app, keys):
    secret = keys["secret"]
    assert secret.startswith("khs_") and len(secret) > 40
    listing = keys["admin"].get("/admin/api-keys").get_data(as_text=True)
    assert "Một cửa xã Thử" in listing and secret[:12] in listing and secret not in listing
    with app.app_context():
        key = db.session.scalars(select(ApiKey)).one()
        assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert key.unit.code == "XA" and key.purpose == "invitations"
        columns = [str(getattr(key, c.key)) for c in ApiKey.__table__.columns]
        assert not any(secret in value for value in columns)
        [event] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "api_key")).all()
        assert event.actor == "admin" and event.action == "create"
        assert secret not in str(event.after) and secret[:12] in str(event.after)


def test_a_manager_may_not_make_keys(app, keys):
    client = app.test_client()
    AuthActions(client).login("manager")
    assert client.get("/admin/api-keys").status_code == 403


def test_a_post_with_the_key_invites_and_the_gateway_receives_the_texts(app, keys, gateway):
    client = app.test_client()
    numbers = phones(3)
    answer = client.post(URL, json={"dossiers": dossiers(keys, numbers)},
                         headers=bearer(keys["secret"]))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["rows"], body["to_send"], body["excluded"]) == (3, 3, {})
    assert "Set-Cookie" not in answer.headers  # the API keeps no session
    work(app)
    assert sorted(gateway.phones()) == sorted("84" + n[1:] for n in numbers)
    progress = client.get(f"/api/v1/invitation-batches/{body['batch']['id']}",
                          headers=bearer(keys["secret"])).get_json()
    assert (progress["sent"], progress["failed"], progress["finished"]) == (3, 0, True)
    with app.app_context():
        batch = db.session.get(InvitationBatch, body["batch"]["id"])
        assert batch.source == "api" and batch.user_id is None
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "invitation_batch")).all()
        assert events and all(e.actor.startswith("api-key:") for e in events)
        assert not any(n[1:] in str(e.after) for e in events for n in numbers)
        assert db.session.scalars(select(ApiKey)).one().last_used_at is not None
    # The same dossiers again: nobody is texted twice.
    again = client.post(URL, json={"dossiers": dossiers(keys, numbers)},
                        headers=bearer(keys["secret"])).get_json()
    assert (again["to_send"], again["excluded"], again["batch"]) == (
        0, {"already_invited": 3}, None)


def test_a_preview_sends_nothing_and_makes_no_batch(app, keys, gateway):
    client = app.test_client()
    online = {**dossiers(keys, phones(1))[0], "channel": "dvc"}
    answer = client.post(URL, json={"preview": True,
                                    "dossiers": [*dossiers(keys, phones(2)), online]},
                         headers=bearer(keys["secret"]))
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["rows"], body["to_send"], body["excluded"], body["batch"]) == (
        3, 2, {"online": 1}, None)
    work(app)
    assert gateway.received == []
    with app.app_context():
        assert db.session.scalars(select(InvitationBatch)).all() == []


def test_a_key_reaches_its_own_subtree_only(app, keys, gateway):
    client = app.test_client()
    foreign = {**dossiers(keys, phones(1))[0], "counter_code": keys["foreign"]}
    body = client.post(URL, json={"dossiers": [*dossiers(keys, phones(1)), foreign]},
                       headers=bearer(keys["secret"])).get_json()
    assert (body["to_send"], body["excluded"]) == (1, {"out_of_scope": 1})
    # The other commune's key reaches its counter (no campaign runs there) but not XA's
    # batch.
    theirs = make_key(keys["admin"], "Một cửa xã Khác", "XC")
    other = client.post(URL, json={"dossiers": [foreign]}, headers=bearer(theirs))
    assert other.status_code == 200 and other.get_json()["excluded"] == {"no_campaign": 1}
    batch = f"/api/v1/invitation-batches/{body['batch']['id']}"
    assert client.get(batch, headers=bearer(theirs)).status_code == 404
    assert client.get(batch, headers=bearer(keys["secret"])).status_code == 200


def test_without_a_live_key_the_api_answers_401(app, keys):
    client = app.test_client()
    rows = {"dossiers": dossiers(keys, phones(1))}
    for headers in ({}, bearer("khs_made-up"), {"Authorization": keys["secret"]},
                    bearer(keys["secret"] + "x")):
        answer = client.post(URL, json=rows, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in answer.get_json()["error"]
    with app.app_context():
        key_id = db.session.scalars(select(ApiKey.id)).one()
    admin = keys["admin"]
    page = admin.get("/admin/api-keys")
    fields = {"csrf_token": csrf_token_of(page)}
    asked = admin.post(f"/admin/api-keys/{key_id}/revoke", data=fields)
    assert asked.status_code == 200 and "Thu hồi khoá" in asked.get_data(as_text=True)
    assert client.post(URL, json={"preview": True, **rows},
                       headers=bearer(keys["secret"])).status_code == 200  # not yet revoked
    admin.post(f"/admin/api-keys/{key_id}/revoke", data={**fields, "confirmed": "1"})
    assert client.post(URL, json=rows, headers=bearer(keys["secret"])).status_code == 401
    assert "Đã thu hồi" in admin.get("/admin/api-keys").get_data(as_text=True)


def test_bad_posts_get_a_message_and_send_nothing(app, keys, gateway):
    client = app.test_client()
    headers = bearer(keys["secret"])
    answer = client.post(URL, data="not json", headers=headers,
                         content_type="application/json")
    assert answer.status_code == 400 and "dossiers" in answer.get_json()["error"]
    assert client.post(URL, json=[1, 2], headers=headers).status_code == 400
    app.config["API_MAX_DOSSIERS"] = 2
    answer = client.post(URL, json={"dossiers": dossiers(keys, phones(3))}, headers=headers)
    assert answer.status_code == 413 and "2" in answer.get_json()["error"]
    app.config["API_MAX_DOSSIERS"] = 5000
    rows = dossiers(keys, phones(2))
    rows[1]["returned_on"] = "hôm qua"
    body = client.post(URL, json={"dossiers": rows, "preview": True},
                       headers=headers).get_json()
    assert body["excluded"] == {"unreadable": 1}
    assert body["problems"][0]["row"] == 2 and "hôm qua" in body["problems"][0]["problem"]
    english = client.post(URL + "?lang=en", data="x", headers=headers,
                          content_type="application/json").get_json()["error"]
    assert "dossiers" in english and "Cần" not in english


def test_each_key_has_its_own_rate(app, keys):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    client = app.test_client()
    rows = {"preview": True, "dossiers": dossiers(keys, phones(1))}
    answers = [client.post(URL, json=rows, headers=bearer(keys["secret"]))
               for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "thử lại" in answers[2].get_json()["error"]
    other = make_key(keys["admin"], "Khoá thứ hai", "XA")
    assert client.post(URL, json=rows, headers=bearer(other)).status_code == 200
