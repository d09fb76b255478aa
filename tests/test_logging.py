"""Logs with request ids: every request gets an id (echoed in ``X-Request-ID``) that every log
record written during the request carries; ``DXFLOW_LOG_JSON=1`` makes each line one JSON object,
with one access line per request; ``dxflow scheduler`` follows the same switch."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import datetime

import pytest

from web import logging_setup
from web.authz import public

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log():
    """The root handler writing JSON lines to a buffer; returns a function parsing them."""
    stream = io.StringIO()
    logging_setup.configure_logging(json_lines=True, stream=stream)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    logging_setup.configure_logging(json_lines=False)


@pytest.fixture
def noisy_app(app):
    """The app with a route that logs twice while handling the request."""

    @public
    def noisy():
        logging.getLogger("dxflow.test").warning("working on it")
        logging.getLogger("web.somewhere").info("still working")
        return "ok"

    app.add_url_rule("/__test__/noisy", "test_noisy", noisy)
    return app


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "dxflow.access"]


# --- request ids -------------------------------------------------------------------------------

def test_a_request_without_an_id_gets_a_fresh_one(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert HEX_ID.fullmatch(first) and HEX_ID.fullmatch(second)
    assert first != second


@pytest.mark.parametrize("incoming", ["abc-123", "Req.42_x", "a" * 64,
                                      "0f1e2d3c4b5a69788796a5b4c3d2e1f0"])
def test_a_sane_incoming_id_is_echoed(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["a" * 65, "has space", "semi;colon", "<script>",
                                      "line\\nbreak", "ユーザー", "a/b", "%41"])
def test_an_odd_incoming_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert HEX_ID.fullmatch(response.headers["X-Request-ID"])


def test_error_pages_carry_the_id_too(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "trace-404"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "trace-404"


def test_clean_request_id():
    assert logging_setup.clean_request_id("ok-1") == "ok-1"
    assert HEX_ID.fullmatch(logging_setup.clean_request_id(None))
    assert HEX_ID.fullmatch(logging_setup.clean_request_id(""))


# --- records carry the request -------------------------------------------------------------------

class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(logging_setup.RequestContextFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_every_record_during_a_request_carries_its_id(noisy_app):
    capture = Capture()
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        response = noisy_app.test_client().get("/__test__/noisy",
                                               headers={"X-Request-ID": "req-7"})
        logging.getLogger("dxflow.test").warning("after the request")
    finally:
        root.removeHandler(capture)
    assert response.status_code == 200
    during = [r for r in capture.records if r.getMessage() != "after the request"]
    assert {r.name for r in during} >= {"dxflow.test", "web.somewhere", "dxflow.access"}
    assert {r.request_id for r in during} == {"req-7"}
    assert {(r.method, r.path) for r in during} == {("GET", "/__test__/noisy")}
    after = [r for r in capture.records if r.getMessage() == "after the request"]
    assert after and after[0].request_id is None and after[0].path is None


def test_json_lines_parse_and_carry_the_request(noisy_app, json_log):
    response = noisy_app.test_client().get("/__test__/noisy", headers={"X-Request-ID": "req-8"})
    assert response.status_code == 200
    lines = json_log()
    assert len(lines) == 3
    for line in lines:
        assert line["request_id"] == "req-8"
        assert line["method"] == "GET" and line["path"] == "/__test__/noisy"
        assert datetime.fromisoformat(line["time"]).utcoffset().total_seconds() == 0
        assert "user_id" not in line  # nobody is signed in
    assert [(line["level"], line["message"]) for line in lines[:2]] == [
        ("WARNING", "working on it"), ("INFO", "still working")]
    (access,) = access_lines(lines)
    assert access["level"] == "INFO" and access["status"] == 200
    assert isinstance(access["duration_ms"], int | float) and access["duration_ms"] >= 0
    assert access["message"].startswith("GET /__test__/noisy 200 ")


def test_one_access_line_per_request_with_status(client, json_log):
    client.get("/healthz")
    client.get("/no-such-page?secret=1")
    client.post("/login", data={})  # no CSRF token: 400
    lines = access_lines(json_log())
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/healthz", 200), ("GET", "/no-such-page", 404), ("POST", "/login", 400)]
    assert len({line["request_id"] for line in lines}) == 3
    assert all("secret" not in line["message"] for line in lines)  # no query strings


def test_access_line_names_the_signed_in_user(client, auth, people, json_log):
    user = people["requester"]
    auth.login(user)
    response = client.get("/account", headers={"X-Request-ID": "who-am-i"})
    assert response.status_code == 200
    (line,) = [line for line in access_lines(json_log()) if line["request_id"] == "who-am-i"]
    assert line["user_id"] == user.id


def test_a_path_cannot_forge_a_log_line(client):
    stream = io.StringIO()
    logging_setup.configure_logging(json_lines=False, stream=stream)
    try:
        client.get("/nothing%0A2030-01-01 00:00:00 INFO dxflow.access [x] GET /admin 200 1ms")
    finally:
        logging_setup.configure_logging(json_lines=False)
    (line,) = stream.getvalue().splitlines()
    assert "GET /nothing\\x0a2030-01-01 00:00:00 INFO" in line
    assert re.search(r" 404 [\d.]+ms$", line)


def test_records_outside_a_request_have_no_request_fields(json_log):
    logging.getLogger("dxflow.scheduler").warning("sweep %s skipped", "reviews")
    (line,) = json_log()
    assert line["logger"] == "dxflow.scheduler" and line["message"] == "sweep reviews skipped"
    assert not {"request_id", "method", "path", "status", "user_id"} & set(line)


def test_exceptions_stay_inside_one_json_line(json_log):
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        logging.getLogger("dxflow.test").exception("it failed")
    (line,) = json_log()
    assert line["level"] == "ERROR" and "ValueError: broken" in line["exc_info"]


# --- the switch ----------------------------------------------------------------------------------

def _dxflow_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, "_dxflow", False)]


def test_human_readable_by_default(noisy_app):
    handlers = _dxflow_handlers()
    assert len(handlers) == 1 and isinstance(handlers[0].formatter, logging_setup.TextFormatter)
    stream = io.StringIO()
    logging_setup.configure_logging(json_lines=False, stream=stream)
    try:
        noisy_app.test_client().get("/__test__/noisy", headers={"X-Request-ID": "plain-1"})
        logging.getLogger("dxflow.test").warning("outside")
    finally:
        logging_setup.configure_logging(json_lines=False)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    assert all(not line.startswith("{") for line in lines)
    assert " WARNING dxflow.test [plain-1] working on it" in lines[0]
    access = r" INFO dxflow\.access \[plain-1\] GET /__test__/noisy 200 [\d.]+ms$"
    assert re.search(access, lines[2])
    assert lines[3].endswith(" WARNING dxflow.test [-] outside")


def test_environment_switches_to_json(monkeypatch, db_url, instance_dir):
    from web import create_app

    monkeypatch.setenv("DXFLOW_LOG_JSON", "1")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url,
                      "SECRET_KEY": "test-secret-key", "DXFLOW_INSTANCE_DIR": str(instance_dir)})
    try:
        (handler,) = _dxflow_handlers()
        assert isinstance(handler.formatter, logging_setup.JsonFormatter)
    finally:
        logging_setup.configure_logging(json_lines=False)
        with app.app_context():
            from web.extensions import db

            db.engine.dispose()


def test_chatty_libraries_stay_quiet_at_info(json_log):
    logging.getLogger("transitions.core").info("Finished processing state draft exit callbacks.")
    logging.getLogger("dxflow.test").info("kept")
    assert [line["message"] for line in json_log()] == ["kept"]


def test_configuring_twice_keeps_one_handler():
    logging_setup.configure_logging(json_lines=True)
    logging_setup.configure_logging(json_lines=False)
    assert len(_dxflow_handlers()) == 1


def test_scheduler_logs_follow_the_json_switch(app, monkeypatch):
    """``dxflow scheduler`` installs the same handler: its lines are JSON with the switch on."""
    import web.commands.notifications as cli_notifications
    from web.commands import main

    class FakeScheduler:
        def start(self):
            logging.getLogger("dxflow.scheduler").info("reviews: %s", "3 reminders")

    monkeypatch.setattr(cli_notifications, "build_scheduler", lambda *a, **k: FakeScheduler())
    monkeypatch.setenv("DXFLOW_LOG_JSON", "1")
    try:
        try:  # click < 8.2 mixes stderr into the output unless told not to
            runner = app.test_cli_runner(mix_stderr=False)
        except TypeError:
            runner = app.test_cli_runner()
        result = runner.invoke(main, ["scheduler"])
    finally:
        logging_setup.configure_logging(json_lines=False)
    assert result.exit_code == 0, (result.output, result.exception)
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert {"logger": "dxflow.scheduler", "level": "INFO",
            "message": "reviews: 3 reminders"}.items() <= lines[-1].items()
