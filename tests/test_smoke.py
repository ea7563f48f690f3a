"""The app starts on a migrated database and answers its probes."""


def test_healthz_touches_no_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.data == b"ok"


def test_readyz_when_database_answers(client):
    assert client.get("/readyz").status_code == 200
