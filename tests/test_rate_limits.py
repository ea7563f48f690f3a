"""Rate limits: repeated failed logins reach 429 per address and per email, sign-ups and joins
per address; other addresses and other accounts are not blocked; successful logins never
count; the limits live in Redis when RATELIMIT_STORAGE_URI points there."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
import redis

from app import create_app
from tests.support import HTMX, PASSWORD, csrf_token, log_in, run_together, unique_email

_addresses = (f"10.77.{i // 250}.{i % 250 + 1}" for i in itertools.count())


@pytest.fixture
def address():
    """A client address of its own per test: the limiter's memory lasts the whole module."""
    return next(_addresses)


def test_failed_logins_per_email_reach_429(client, owner):
    # From a new address each time: the email limit alone must stop a distributed guesser.
    for _ in range(5):
        assert log_in(client, owner.email, "wrong password", next(_addresses)).status_code == 401
    response = log_in(client, owner.email, "wrong password", next(_addresses))
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Locked means locked: even the right password is refused until the window passes, so
    # a guesser learns nothing from the answer. Case and spaces do not make a new email.
    assert log_in(client, owner.email, PASSWORD, next(_addresses)).status_code == 429
    assert log_in(client, f" {owner.email.upper()} ", PASSWORD, next(_addresses)).status_code \
        == 429


def test_another_account_is_not_blocked_by_failures_on_one(client, owner, make_workspace,
                                                           address):
    other = make_workspace(name="Other")
    for _ in range(5):
        log_in(client, owner.email, "wrong password", address)
    assert log_in(client, owner.email, "wrong password", address).status_code == 429
    assert log_in(client, other.email, PASSWORD, address).status_code == 303


def test_failed_logins_per_address_reach_429(app, owner, address):
    attacker = app.test_client()
    for _ in range(10):  # ten different emails: only the address ties them together
        assert log_in(attacker, unique_email(), "guess-guess", address).status_code == 401
    assert log_in(attacker, unique_email(), "guess-guess", address).status_code == 429
    # Not even a right password passes from that address...
    assert log_in(app.test_client(), owner.email, PASSWORD, address).status_code == 429
    # ...but the same person from another address logs in.
    assert log_in(app.test_client(), owner.email, PASSWORD, next(_addresses)).status_code == 303


def test_a_forged_forwarded_for_header_does_not_dodge_the_address_limit(app, address):
    attacker = app.test_client()
    statuses = [
        log_in(attacker, unique_email(), "guess-guess", address,
               headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
        for i in range(11)
    ]
    assert statuses == [401] * 10 + [429]


def test_behind_a_trusted_proxy_the_forwarded_client_is_the_address(database_url, owner):
    application = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "k" * 32,
         "TRUSTED_PROXIES": 1, "RATELIMIT_LOGIN_PER_ADDRESS": "2 per minute"}
    )
    try:
        client = application.test_client()
        proxy = next(_addresses)  # every request arrives from the same proxy

        def attempt(client_ip, email, password):
            return log_in(client, email, password, proxy,
                          headers={"X-Forwarded-For": client_ip}).status_code

        guesses = [attempt("198.51.100.7", unique_email(), "guess-guess") for _ in range(3)]
        assert guesses == [401, 401, 429]
        assert attempt("198.51.100.8", owner.email, PASSWORD) == 303
    finally:
        application.extensions["db"].close()


def test_successful_logins_do_not_count(app, owner, address):
    for _ in range(12):  # more than both limits
        assert log_in(app.test_client(), owner.email, PASSWORD, address).status_code == 303


def test_429_for_htmx_is_a_fragment(client, owner, address):
    for _ in range(5):
        log_in(client, owner.email, "wrong password", address)
    response = log_in(client, owner.email, "wrong password", address, headers=HTMX)
    assert response.status_code == 429
    assert response.headers["HX-Reswap"] == "none"
    assert 'id="status" hx-swap-oob' in response.get_data(as_text=True)


def test_the_limits_are_configuration(app, client, owner, address, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_PER_EMAIL", "2 per minute")
    for _ in range(2):
        assert log_in(client, owner.email, "wrong password", address).status_code == 401
    assert log_in(client, owner.email, "wrong password", address).status_code == 429


def _sign_up(client, address: str):
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client, "/signup", environ_base=environ)
    data = {"workspace": "Acme", "name": "Sam", "email": unique_email("signup"),
            "password": PASSWORD, "csrf_token": token}
    return client.post("/signup", data=data, environ_base=environ)


def test_sign_ups_per_address_reach_429(app, admin, address, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP_PER_ADDRESS", "3 per hour")
    for _ in range(3):
        assert _sign_up(app.test_client(), address).status_code == 303
    before = admin.execute("SELECT count(*) AS n FROM users").fetchone()["n"]
    assert _sign_up(app.test_client(), address).status_code == 429
    assert admin.execute("SELECT count(*) AS n FROM users").fetchone()["n"] == before
    assert _sign_up(app.test_client(), next(_addresses)).status_code == 303


def test_invite_joins_per_address_reach_429(app, monkeypatch, address):
    join = app.view_functions["people.join"]
    assert getattr(join, "__wrapper-limiter-instance", None) is not None, "join is not limited"
    monkeypatch.setitem(app.config, "RATELIMIT_JOIN_PER_ADDRESS", "2 per hour")
    client = app.test_client()
    environ = {"REMOTE_ADDR": address}
    url = "/join/" + "unknown-token-" + "x" * 20
    token = csrf_token(client, "/login", environ_base=environ)
    data = {"csrf_token": token, "name": "N", "email": unique_email(), "password": PASSWORD}
    statuses = [client.post(url, data=data, environ_base=environ).status_code for _ in range(3)]
    assert statuses[:2] == [404, 404] and statuses[2] == 429
    other = {"REMOTE_ADDR": next(_addresses)}
    assert client.post(url, data=data, environ_base=other).status_code == 404


@pytest.fixture
def redis_db(redis_url):
    """The suite's private Redis, emptied before and after."""
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def redis_app(database_url, redis_url, redis_db):
    application = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "k" * 32,
         "RATELIMIT_STORAGE_URI": redis_url}
    )
    yield application
    application.extensions["db"].close()


def test_limits_are_kept_in_redis(redis_app, redis_db, owner, address):
    client = redis_app.test_client()
    for _ in range(5):
        assert log_in(client, owner.email, "wrong password", address).status_code == 401
    assert log_in(client, owner.email, PASSWORD, address).status_code == 429
    keys = [k.decode() for k in redis_db.keys("*")]
    assert keys and all("portfolio" in k for k in keys), keys
    assert not any(owner.email in k for k in keys)  # emails are hashed in keys
    # The state is in Redis, not in this process: clear Redis and the lock is gone.
    redis_db.flushdb()
    assert log_in(client, owner.email, PASSWORD, address).status_code == 303


def test_limits_hold_and_never_500_when_redis_is_down(database_url, owner, address):
    application = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "k" * 32,
         "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/15"}
    )
    try:
        client = application.test_client()
        statuses = [log_in(client, owner.email, "wrong", address).status_code for _ in range(6)]
        assert statuses == [401] * 5 + [429]  # per-process memory takes over
    finally:
        application.extensions["db"].close()


# --- the dodges found by attacking the first landing ----------------------------------------


@pytest.fixture
def verifications(monkeypatch):
    """How many password verifications (Argon2) ran."""
    from workhistory.data import accounts

    seen = {"calls": 0}
    lock = threading.Lock()
    real = accounts._verify

    def counting(stored, password):
        with lock:
            seen["calls"] += 1
        return real(stored, password)

    monkeypatch.setattr(accounts, "_verify", counting)
    return seen


@pytest.mark.slow
def test_concurrent_wrong_passwords_are_all_counted(app, owner, verifications):
    """30 wrong passwords released together by a barrier: at most the limit (5) are checked;
    Flask-Limiter's deduct_when tested all 30 against the limit before counting any."""
    attempts = 30
    addresses = [next(_addresses) for _ in range(attempts)]
    statuses = run_together(attempts, lambda i: log_in(
        app.test_client(), owner.email, f"wrong {i}", addresses[i]).status_code)
    assert statuses.count(401) <= 5 and statuses.count(401) + statuses.count(429) == attempts
    assert verifications["calls"] <= 5
    assert log_in(app.test_client(), owner.email, PASSWORD, next(_addresses)).status_code == 429


@pytest.mark.parametrize("variant", [
    lambda e: e.upper(),
    lambda e: f"  {e}\t",
    lambda e: e.replace("i", "İ"),  # Python lowers it to "i̇", PostgreSQL to "i"
    lambda e: e.replace("I", "İ").replace("i", "İ").upper(),
], ids=["case", "spaces", "dotted-capital-i", "all-dotted"])
def test_spelling_variants_share_one_bucket(app, make_workspace, variant):
    email = f"admin-{unique_email('iiii')}"
    user = make_workspace(name="Variant", email=email)
    spelled = variant(email)
    assert spelled != email
    # The variant is the same account to the database (it logs in) ...
    db = app.extensions["db"]
    from workhistory.data import accounts

    assert accounts.authenticate(db, spelled, PASSWORD).user_id == user.user_id
    for _ in range(5):
        assert log_in(app.test_client(), email, "wrong", next(_addresses)).status_code == 401
    # ... so it is the same bucket: no fresh attempts, not even with the right password.
    assert log_in(app.test_client(), spelled, "wrong", next(_addresses)).status_code == 429
    assert log_in(app.test_client(), spelled, PASSWORD, next(_addresses)).status_code == 429


def test_a_json_login_is_refused_and_not_a_dodge(app, client, owner, address):
    for _ in range(5):
        log_in(client, owner.email, "wrong", address)
    token = csrf_token(client, "/login", environ_base={"REMOTE_ADDR": address})
    response = client.post("/login", json={"email": owner.email, "password": PASSWORD},
                           headers={"X-CSRFToken": token},
                           environ_base={"REMOTE_ADDR": next(_addresses)})
    assert response.status_code == 415
    assert client.get("/portfolio").status_code == 303  # not signed in


def test_the_readme_variables_are_read_from_the_environment(runtime_url, owner, monkeypatch):
    monkeypatch.setenv("RATELIMIT_LOGIN_PER_EMAIL", "2 per minute")
    monkeypatch.setenv("RATELIMIT_LOGIN_PER_ADDRESS", "50 per minute")
    application = create_app({"TESTING": True, "DATABASE_URL": runtime_url,
                              "SECRET_KEY": "k" * 32})
    try:
        assert application.config["RATELIMIT_LOGIN_PER_EMAIL"] == "2 per minute"
        client = application.test_client()
        statuses = [log_in(client, owner.email, "wrong", next(_addresses)).status_code
                    for _ in range(3)]
        assert statuses == [401, 401, 429]
    finally:
        application.extensions["db"].close()


@pytest.mark.slow
def test_password_hashing_runs_a_few_at_a_time(app, owner, monkeypatch):
    """40 concurrent logins took a process from 54 MiB to 2.3 GiB (64 MiB of Argon2 each):
    at most PASSWORD_HASHING_SLOTS hashes run at once, the others wait."""
    from workhistory.data import accounts

    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_PER_EMAIL", "100 per minute")
    seen = {"running": 0, "most": 0}
    lock = threading.Lock()
    real = accounts._hasher

    class SlowHasher:  # the real Argon2 hasher, watched and slowed down a little
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, stored, password):
            with lock:
                seen["running"] += 1
                seen["most"] = max(seen["most"], seen["running"])
            try:
                time.sleep(0.05)  # long enough for the others to pile up behind it
                return real.verify(stored, password)
            finally:
                with lock:
                    seen["running"] -= 1

    monkeypatch.setattr(accounts, "_hasher", SlowHasher())
    statuses = run_together(40, lambda i: log_in(
        app.test_client(), owner.email, PASSWORD, next(_addresses)).status_code)
    assert statuses == [303] * 40
    assert 1 <= seen["most"] <= app.config["PASSWORD_HASHING_SLOTS"] == accounts.HASHING_SLOTS
