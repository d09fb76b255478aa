"""The ``dxflow`` command: set-up, users, the state machine, cases; bad arguments exit 2.

Most tests drive the click group in-process through ``app.test_cli_runner()`` against the
per-test database; a few start the real command in a subprocess to check the configuration
from ``DXFLOW_*`` environment variables. The last test keeps README.md's diagram current.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.console import run_dxflow
from web.commands import main
from workflow.cases import create_case
from workflow.db import make_engine
from workflow.engine import fire
from workflow.models import AuditEvent, Department, User
from workflow.people.passwords import verify_password
from workflow.portfolio.departments import CITY_DEPARTMENTS
from workflow.states import TRANSITIONS
from workflow.states.diagram import mermaid

REPO = Path(__file__).resolve().parent.parent
GOOD_PASSWORD = "Osaka-dx-2025"


@pytest.fixture
def cli(app):
    """Run ``dxflow ARGS`` in-process against the test database; stderr kept apart."""
    try:  # click < 8.2 mixes stderr into the output unless told not to
        runner = app.test_cli_runner(mix_stderr=False)
    except TypeError:
        runner = app.test_cli_runner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input)

    return run


def assert_refused(result, *fragments: str) -> None:
    """Exit 2 with one clear line on stderr (click's usage errors add Usage/Try lines)."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0]


def only_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def user_by_email(session, email: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


# --- the real command, configured from the environment ----------------------------------------


_dxflow = run_dxflow  # the name the tests below use


def _environment(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXFLOW_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env.update({f"DXFLOW_{k}": v for k, v in values.items()})
    return env


def test_init_creates_the_database_named_by_the_environment(tmp_path):
    db_file = tmp_path / "data" / "city.sqlite3"
    env = _environment(DATABASE_URL=f"sqlite:///{db_file}", INSTANCE_DIR=str(tmp_path / "inst"),
                       SECRET_KEY="cli-test-secret-key")

    result = _dxflow("init", env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert db_file.exists()
    assert f"Database ready: sqlite:///{db_file}" in result.stdout
    assert f"Departments added: {len(CITY_DEPARTMENTS)}" in result.stdout


def test_init_with_no_configuration_at_all_uses_instance_in_the_working_dir(tmp_path):
    """The README's quickstart on a fresh machine: no DXFLOW_* variable is set."""
    result = _dxflow("init", env=_environment(), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    db_file = tmp_path / "instance" / "dxflow.sqlite3"
    assert db_file.exists()
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        with engine.connect() as conn:
            assert len(conn.execute(select(Department.id)).all()) == 46
    finally:
        engine.dispose()


def test_states_needs_no_database_nor_secret_key(tmp_path):
    """The README's quickstart runs ``dxflow states`` before anything is configured."""
    env = _environment(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
                       INSTANCE_DIR=str(tmp_path / "instance"))

    result = _dxflow("states", "--format", "mermaid", env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == mermaid() + "\n"


# --- init in-process ---------------------------------------------------------------------------


def test_init_on_a_seeded_database_adds_nothing(cli, session):
    before = len(session.scalars(select(Department)).all())

    result = cli("init")

    assert result.exit_code == 0, result.output
    assert "Departments added: 0" in result.stdout
    assert len(session.scalars(select(Department)).all()) == before == 46


# --- users -------------------------------------------------------------------------------------


def test_users_create(cli, session):
    result = cli("users", "create", "--email", "Hanako.Yamada@City.Example.jp",
                 "--name", "山田 花子", "--role", "requester", "--department", "welfare",
                 "--password", GOOD_PASSWORD)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Created hanako.yamada@city.example.jp (requester)"
    user = user_by_email(session, "hanako.yamada@city.example.jp")
    assert user.name == "山田 花子"
    assert user.role == "requester" and user.active
    assert user.department.code == "welfare"
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "user_admin")
                            .order_by(AuditEvent.id.desc())).first()
    assert event.data["action"] == "create"
    assert user.email in event.data.values()


def test_users_create_finds_the_department_by_its_japanese_name(cli, session):
    result = cli("users", "create", "--email", "kucho@city.example.jp", "--name", "区 太郎",
                 "--role", "dept_manager", "--department", "福祉局", "--password", GOOD_PASSWORD)

    assert result.exit_code == 0, result.output
    assert user_by_email(session, "kucho@city.example.jp").department.code == "welfare"


def test_users_create_prompts_for_the_password(cli, session):
    result = cli("users", "create", "--email", "office@city.example.jp", "--name", "統括 一郎",
                 "--role", "office", input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")

    assert result.exit_code == 0, result.output
    user = user_by_email(session, "office@city.example.jp")
    assert user.department_id is None
    assert verify_password(user.password_hash, GOOD_PASSWORD)


@pytest.mark.parametrize(("args", "fragment"), [
    (["--email", "not-an-address", "--role", "office"], "e-mail address is not valid"),
    (["--email", "x@city.example.jp", "--role", "requester", "--department", "nowhere"],
     "unknown department 'nowhere'"),
    (["--email", "x@city.example.jp", "--role", "requester"], "Bureau staff need a department"),
    (["--email", "x@city.example.jp", "--role", "dept_manager"], "need a department"),
    (["--email", "x@city.example.jp", "--role", "office", "--password", "short"],
     "at least 12 characters"),
])
def test_users_create_refuses_bad_input_with_one_line(cli, session, args, fragment):
    count = len(session.scalars(select(User)).all())
    result = cli("users", "create", "--name", "誰か", "--password", GOOD_PASSWORD, *args)

    assert_refused(result, fragment)
    assert only_line(result).startswith("Error: ")
    assert len(session.scalars(select(User)).all()) == count


def test_users_create_refuses_a_duplicate_email(cli, people, session):
    existing = people["office"].email

    result = cli("users", "create", "--email", existing.upper(), "--name", "二人目",
                 "--role", "office", "--password", GOOD_PASSWORD)

    assert_refused(result, "already registered")
    assert only_line(result) == "Error: This e-mail address is already registered"


def test_users_create_refuses_an_unknown_role(cli):
    result = cli("users", "create", "--email", "x@city.example.jp", "--name", "誰か",
                 "--role", "wizard", "--password", GOOD_PASSWORD)

    assert_refused(result, "wizard")


def test_users_list(cli, people):
    result = cli("users", "list")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(people)
    rows = {line.split("\t")[0]: line.split("\t") for line in lines}
    requester = rows[people["requester"].email]
    assert requester[1:] == [people["requester"].name, "requester", "福祉局", "active"]
    assert rows[people["executive"].email][3] == "-"


def test_users_deactivate(cli, people, session):
    email = people["requester"].email

    result = cli("users", "deactivate", email)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Deactivated {email}"
    assert user_by_email(session, email).active is False
    listed = cli("users", "list").stdout.splitlines()
    assert any(line.startswith(email) and line.endswith("\tinactive") for line in listed)


def test_users_deactivate_an_unknown_email(cli, people):
    result = cli("users", "deactivate", "nobody@city.example.jp")

    assert_refused(result, "no user with e-mail 'nobody@city.example.jp'")
    assert only_line(result).startswith("Error: ")


# --- states ------------------------------------------------------------------------------------


def test_states_prints_the_table_and_the_mermaid_diagram(cli):
    result = cli("states")

    assert result.exit_code == 0, result.output
    table, _, diagram = result.stdout.partition("\nstateDiagram-v2")
    header = table.splitlines()[0].split()
    assert header == ["trigger", "label", "from", "to", "roles", "guards"]
    triggers = [line.split()[0] for line in table.splitlines()[1:] if line.strip()]
    assert triggers == [t.trigger for t in TRANSITIONS]
    assert "stateDiagram-v2" + diagram == mermaid() + "\n"


def test_states_one_format_at_a_time(cli):
    mermaid_only = cli("states", "--format", "mermaid")
    table_en = cli("states", "--format", "table", "--lang", "en")

    assert mermaid_only.stdout == mermaid() + "\n"
    assert "stateDiagram" not in table_en.stdout
    assert "Put on hold" in table_en.stdout


# --- case show ---------------------------------------------------------------------------------


@pytest.fixture
def moved_case(session, people):
    """A case submitted, accepted, held with a comment and resumed."""
    case = create_case(session, people["requester"], {
        "title": "保育所入所申請のオンライン化", "description": "申請を電子化したい",
        "current_problem": "紙で受け付けている", "desired_outcome": "来庁不要にする",
    })
    fire(session, case, "submit", people["requester"])
    fire(session, case, "accept", people["office"])
    fire(session, case, "hold", people["office"], comment="予算措置を待つ")
    fire(session, case, "resume", people["office"])
    return case


def test_case_show_prints_the_state_and_the_history(cli, moved_case, people):
    result = cli("case", "show", moved_case.number)

    assert result.exit_code == 0, result.output
    out = result.stdout
    lines = out.splitlines()
    assert lines[0] == f"{moved_case.number}  保育所入所申請のオンライン化"
    assert "department: 福祉局" in out
    assert "state:      consultation_hearing" in out and "version 5" in out
    assert f"assignee:   {people['office'].name}" in out
    history = lines[lines.index("  history:") + 1:]
    office, requester = people["office"].name, people["requester"].name
    expected = [
        ("created", "", "draft", requester),
        ("submit", "draft", "consultation_submitted", requester),
        ("accept", "consultation_submitted", "consultation_hearing", office),
        ("hold", "consultation_hearing", "on_hold", office),
        ("resume", "on_hold", "consultation_hearing", office),
    ]
    moves = [line for line in history if "->" in line]
    assert len(moves) == len(expected), history
    for line, (what, source, target, who) in zip(moves, expected, strict=True):
        assert re.search(rf"\s{what}\s+{source} -> {target}\s+{re.escape(who)}$", line), line
    assert "「予算措置を待つ」" in out


def test_case_show_in_english_and_by_a_lowercase_number(cli, moved_case):
    result = cli("case", "show", moved_case.number.lower(), "--lang", "en")

    assert result.exit_code == 0, result.output
    assert moved_case.number in result.stdout
    assert '"予算措置を待つ"' in result.stdout


def test_case_show_an_unknown_number(cli):
    result = cli("case", "show", "DX-1999-0001")

    assert_refused(result, "no case numbered 'DX-1999-0001'")
    assert only_line(result).startswith("Error: ")


# --- bad arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["--bogus"],
    ["users", "create", "--email", "x@city.example.jp", "--nonsense"],
    ["users", "create", "--name", "名前だけ", "--role", "office", "--password", GOOD_PASSWORD],
    ["states", "--format", "svg"],
    ["case", "show"],
    ["no-such-command"],
])
def test_bad_arguments_exit_2(cli, args):
    assert_refused(cli(*args))


# --- README ------------------------------------------------------------------------------------


def test_readme_embeds_the_current_state_diagram():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    expected = f"```mermaid\n{mermaid()}\n```"

    assert expected in readme, (
        "README.md's state diagram differs from workflow.states.diagram.mermaid(); "
        "run: python scripts/update_readme_diagram.py"
    )


def test_the_readme_script_replaces_only_the_marked_block():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "update_readme_diagram", REPO / "scripts" / "update_readme_diagram.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)

    fresh = script.updated("# dxflow\n\nIntro.\n")
    assert fresh.startswith("# dxflow\n\nIntro.\n")
    assert f"```mermaid\n{mermaid()}\n```" in fresh
    stale = fresh.replace(mermaid(), "stateDiagram-v2\n    old --> older") + "\n## After\n"
    assert script.updated(stale) == fresh + "\n## After\n"
    assert script.updated(fresh) == fresh
