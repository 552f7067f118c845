"""GET /health, for a load balancer: 200 while the database answers, 503 when it does not."""

from app import create_app
from tests.conftest import BASE_CONFIG


def test_health_answers_200_with_no_cookie_and_no_limit(app, client):
    for _ in range(120):  # a balancer polls often; no limit applies
        page = client.get("/health")
        assert page.status_code == 200
    assert page.get_json() == {"status": "ok", "database": "up"}
    assert "Set-Cookie" not in page.headers and page.headers["Cache-Control"] == "no-store"


def test_health_answers_503_when_the_database_is_gone(tmp_path, caplog):
    gone = create_app({**BASE_CONFIG,
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir/x.db"})
    page = gone.test_client().get("/health")
    assert page.status_code == 503 and page.get_json()["status"] == "unavailable"
    assert "database does not answer" in caplog.text
