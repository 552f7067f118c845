"""Staff login: hashed passwords, sessions that end on the server side, slowed guessing."""

import pytest
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import from_environment
from app.extensions import db
from app.models import User
from tests.factories import PASSWORD, make_unit, make_user
from tests.helpers import AuthActions, csrf_token_of


@pytest.fixture
def manager(app):
    with app.app_context():
        unit = make_unit("XA", "UBND xã Thử", "commune")
        make_user("lan", "manager", unit)
    return "lan"


def test_manager_logs_in_and_sees_their_home(client, auth, manager):
    page = auth.login(manager)
    assert page.status_code == 303 and page.headers["Location"] == "/staff/"
    home = client.get("/staff/").get_data(as_text=True)
    assert "Xin chào, lan" in home and "Lãnh đạo đơn vị" in home and "UBND xã Thử" in home


@pytest.mark.parametrize("username", ["lan", "nobody"])
def test_wrong_login_does_not_tell_whether_the_username_exists(client, auth, manager, username):
    page = auth.login(username, "not the password")
    assert page.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in page.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_session_cookie_is_renewed_at_login_and_httponly_lax(client, auth, manager):
    client.get("/login")
    before = client.get_cookie("session").value
    page = auth.login(manager)
    cookie = next(c for c in page.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get_cookie("session").value != before


def test_a_guesser_is_locked_out_of_one_username_and_the_owner_is_not(app, client, manager):
    auth = AuthActions(client)
    for _ in range(5):
        page = auth.login(manager, "wrong password", REMOTE_ADDR="198.51.100.7")
        assert page.status_code == 401
    locked = auth.login(manager, PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert locked.status_code == 429
    assert "Quá nhiều lần đăng nhập không thành công" in locked.get_data(as_text=True)
    # The owner, from their own address, logs in.
    owner = app.test_client()
    assert AuthActions(owner).login(manager, PASSWORD,
                                    REMOTE_ADDR="203.0.113.20").status_code == 303


def test_guessing_from_many_addresses_is_slowed_but_the_owners_device_gets_in(app, manager):
    """Thirty failures an hour for one username from anywhere; a browser that logged in as
    that user before (its known-device cookie) is not held back with the guessers."""
    desk = app.test_client()
    assert AuthActions(desk).login(manager, PASSWORD, REMOTE_ADDR="203.0.113.20").status_code == 303
    AuthActions(desk).logout()
    guesser = AuthActions(app.test_client())
    for n in range(30):
        assert guesser.login(manager, "wrong", REMOTE_ADDR=f"198.51.100.{n}").status_code == 401
    stranger = app.test_client()
    assert AuthActions(stranger).login(manager, PASSWORD,
                                       REMOTE_ADDR="192.0.2.1").status_code == 429
    assert AuthActions(desk).login(manager, PASSWORD,
                                   REMOTE_ADDR="203.0.113.20").status_code == 303


def test_a_guesser_at_the_owners_address_does_not_lock_out_the_owners_browser(app, manager):
    """Someone in the owner's office (one address) fails twenty times for the owner's
    username and is stopped; the owner's browser, known from an earlier login, gets in from
    that same address. A known browser is refused only for failures it made itself."""
    office = "203.0.113.20"
    desk = app.test_client()
    assert AuthActions(desk).login(manager, PASSWORD, REMOTE_ADDR=office).status_code == 303
    AuthActions(desk).logout()
    guesser = AuthActions(app.test_client())
    statuses = [guesser.login(manager, "wrong", REMOTE_ADDR=office).status_code
                for _ in range(25)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert AuthActions(desk).login(manager, PASSWORD, REMOTE_ADDR=office).status_code == 303
    AuthActions(desk).logout()
    own = [AuthActions(desk).login(manager, "typo", REMOTE_ADDR=office).status_code
           for _ in range(6)]
    assert own == [401] * 5 + [429]


def test_made_up_usernames_from_one_address_lock_only_that_address(app, manager):
    """Behind the recommended proxy (TRUSTED_PROXY_HOPS=1) each client counts apart."""
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)
    attacker = AuthActions(app.test_client())
    statuses = [attacker.login(f"nobody{n}", "x", REMOTE_ADDR="10.0.0.2",
                               HTTP_X_FORWARDED_FOR="198.51.100.66").status_code
                for n in range(31)]
    assert statuses[-1] == 429 and statuses[:30] == [401] * 30
    colleague = AuthActions(app.test_client())
    assert colleague.login(manager, PASSWORD, REMOTE_ADDR="10.0.0.2",
                           HTTP_X_FORWARDED_FOR="198.51.100.67").status_code == 303


def test_a_json_login_is_refused(client, manager):
    token = csrf_token_of(client.get("/login"))  # the attack carried a valid token
    page = client.post("/login", json={"username": manager, "password": PASSWORD,
                                       "csrf_token": token}, headers={"X-CSRFToken": token})
    assert page.status_code == 415
    assert client.get("/staff/").status_code == 302


def test_successful_logins_are_not_counted_as_guesses(client, auth, manager):
    for _ in range(7):
        assert auth.login(manager).status_code == 303
        auth.logout()


def test_logout_ends_the_session_on_every_device(app, manager):
    phone, desk = app.test_client(), app.test_client()
    AuthActions(phone).login(manager)
    AuthActions(desk).login(manager)
    assert desk.get("/staff/").status_code == 200
    AuthActions(phone).logout()
    assert phone.get("/staff/").status_code == 302
    # The other cookie is still validly signed, but the server no longer accepts it.
    assert desk.get("/staff/").status_code == 302


def test_disabling_an_account_ends_its_sessions(app, client, auth, manager):
    auth.login(manager)
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == manager))
        from app.db_setup import transaction
        from app.domain.accounts import update_user

        with transaction():
            update_user(user, role=user.role, unit=user.unit, active=False, actor="test")
    assert client.get("/staff/").status_code == 302
    assert auth.login(manager).status_code == 401


def test_changing_password_keeps_this_session_and_ends_the_others(app, client, auth, manager):
    other = app.test_client()
    AuthActions(other).login(manager)
    auth.login(manager)
    form = client.get("/account/password")
    page = client.post("/account/password", data={
        "csrf_token": csrf_token_of(form), "current": PASSWORD, "new": "một mật khẩu mới dài",
        "confirm": "một mật khẩu mới dài"})
    assert page.status_code == 303
    assert client.get("/staff/").status_code == 200
    assert other.get("/staff/").status_code == 302
    auth.logout()
    assert auth.login(manager, PASSWORD).status_code == 401
    assert auth.login(manager, "một mật khẩu mới dài").status_code == 303


@pytest.mark.parametrize(("current", "new", "confirm", "message"), [
    ("wrong", "một mật khẩu mới dài", "một mật khẩu mới dài", "Mật khẩu hiện tại không đúng."),
    (PASSWORD, "ngắn", "ngắn", "Mật khẩu cần ít nhất 10 ký tự."),
    (PASSWORD, "một mật khẩu mới dài", "khác hẳn", "Hai mật khẩu không khớp."),
])
def test_bad_password_changes_are_explained(client, auth, manager, current, new, confirm,
                                            message):
    auth.login(manager)
    form = client.get("/account/password")
    page = client.post("/account/password", data={
        "csrf_token": csrf_token_of(form), "current": current, "new": new, "confirm": confirm})
    assert page.status_code == 200
    assert message in page.get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/staff/"])
def test_login_only_redirects_within_the_site(client, manager, target):
    page = client.get(f"/login?next={target}")
    response = client.post(f"/login?next={target}", data={
        "csrf_token": csrf_token_of(page), "username": manager, "password": PASSWORD})
    assert response.headers["Location"] == "/staff/"


def test_login_form_needs_its_csrf_token(client, manager):
    page = client.post("/login", data={"username": manager, "password": PASSWORD})
    assert page.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_passwords_are_stored_as_scrypt_hashes(app, auth, tmp_path):
    # The suite hashes cheaply (conftest.py); this test puts the production method back.
    app.config["PASSWORD_HASH_METHOD"] = from_environment(str(tmp_path))["PASSWORD_HASH_METHOD"]
    with app.app_context():
        user = make_user("scrypt.user", "clerk", make_unit("XA", "UBND xã Thử", "commune"))
        assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash
    assert auth.login("scrypt.user").status_code == 303


def test_staff_pages_are_not_cached_nor_framed(client, auth, manager):
    auth.login(manager)
    page = client.get("/staff/")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_the_site_root_says_what_this_is_and_leads_staff_to_the_login(client, auth, manager):
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/login"' in html
    assert "/q/" not in html  # no survey link for whoever types the address
    assert "Satisfaction survey" in client.get("/?lang=en").get_data(as_text=True)
    auth.login(manager)
    assert client.get("/").headers["Location"].endswith("/staff/")


def test_a_refused_page_keeps_the_staff_menu_and_says_what_the_role_may_not_do(client, auth,
                                                                               manager):
    auth.login(manager)
    page = client.get("/admin/users")  # accounts are for admins
    html = page.get_data(as_text=True)
    assert page.status_code == 403
    assert "Bạn không có quyền mở trang này" in html and "Lãnh đạo đơn vị" in html
    assert 'href="/staff/"' in html and "Đăng xuất" in html  # the menu and a way back


def test_staff_choose_their_language_and_keep_it_across_sessions(app, client, auth, manager):
    auth.login(manager)
    assert "Xin chào" in client.get("/staff/").get_data(as_text=True)
    token = csrf_token_of(client.get("/staff/"))
    assert client.post("/account/language/en", data={"csrf_token": token}).status_code == 303
    assert "Hello" in client.get("/staff/").get_data(as_text=True)
    auth.logout()
    other = app.test_client()  # another device, a new session: still English
    AuthActions(other).login(manager)
    home = other.get("/staff/").get_data(as_text=True)
    assert "Hello" in home and "Tiếng Việt" in home  # and the way back
    assert "Xin chào" in other.get("/staff/?lang=vi").get_data(as_text=True)  # a link may ask
    assert other.post("/account/language/fr", data={"csrf_token": token}).status_code in (
        400, 404)
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.username == manager)) == "en"
