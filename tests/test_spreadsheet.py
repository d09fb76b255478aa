"""Every spreadsheet and CSV the app produces, from a world whose texts are hostile: no cell
runs as a formula (CSV/formula injection), numbers stay numbers, and the guard is undone on
import so export → import keeps the text."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.workflow_helpers import new_case, walk_to
from web.commands.base import main
from workflow.interchange.spreadsheet import csv_bytes, csv_field, guard, is_guarded, unguard
from workflow.models import AuditEvent, Case, Department, Kpi, KpiTarget, Plan, Review

HOSTILE = ['=HYPERLINK("http://x","y")', "＝1+1", "@SUM(A1)", "+1", "-1+2", "\t=1+1",
           "\r=1+1", " =1+1", "\u3000＋2", "－3", "＠SUM(A1)", "'=1+1"]
# Cells the app writes as formulas on purpose: none (totals are computed, not =SUM()).
ON_PURPOSE_FORMULAS: set[tuple[str, str]] = set()


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_guarded_and_comes_back(text):
    assert is_guarded(text.lstrip("'"))
    written = guard(text)
    assert written.startswith("'") and written[1:] == text
    assert unguard(written) == text


@pytest.mark.parametrize("text", ["窓口の改善", "1+1", "a=b", "", "'", "'quoted", "e-mail"])
def test_plain_text_is_left_alone(text):
    assert guard(text) == text and unguard(text) == text


def test_numbers_stay_numbers():
    assert csv_field(-1) == -1 and csv_field(Decimal("-2.5")) == Decimal("-2.5")
    assert csv_field(None) == "" and csv_field("-1") == "'-1"
    assert csv_bytes(["a", "b"], [[-1, "-1"]]).decode("utf-8-sig") == "a,b\r\n-1,'-1\r\n"


@pytest.fixture
def hostile_world(session, people, make_user):
    """Case titles, KPI names, units, labels, targets, comments, user and bureau names that
    Excel would run as formulas."""
    welfare = people["requester"].department
    welfare.name = HOSTILE[0]
    people["requester"].name = HOSTILE[2]
    people["office"].name = HOSTILE[1]
    session.commit()
    planned = new_case(session, people["requester"], title=HOSTILE[0], description=HOSTILE[3],
                       current_problem=HOSTILE[4], desired_outcome=HOSTILE[5])
    walk_to(session, planned, "review_monitoring", people)
    planned.assignee_id = people["office"].id
    plan = session.scalar(select(Plan).where(Plan.case_id == planned.id))
    plan.kgi, plan.kgi_note, plan.outcome = HOSTILE[6], HOSTILE[7], HOSTILE[8]
    kpi = session.scalar(select(Kpi).where(Kpi.plan_id == plan.id))
    kpi.name, kpi.unit, kpi.baseline_label = HOSTILE[1], "=1", HOSTILE[9]
    kpi.baseline, kpi.baseline_text, kpi.note = None, HOSTILE[10], HOSTILE[11]
    session.add(KpiTarget(kpi_id=kpi.id, fiscal_year=2027, text="-1+2"))
    for review in session.scalars(select(Review).where(Review.case_id == planned.id)):
        review.comment = HOSTILE[2]
    for n, title in enumerate(HOSTILE[1:], start=1):
        case = new_case(session, people["requester"], title=title)
        walk_to(session, case, "consultation_hearing" if n % 2 else "planning_as_is", people)
    session.add(AuditEvent(case_id=planned.id, kind="comment", actor_id=people["requester"].id,
                           comment=HOSTILE[3], data={"note": HOSTILE[4]}))
    session.commit()
    return planned


def _csv_fields(raw: bytes) -> list[str]:
    assert raw.startswith(b"\xef\xbb\xbf")
    return [f for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
            for f in row]


def _xlsx_cells(raw: bytes):
    workbook = load_workbook(io.BytesIO(raw))
    return [(ws.title, cell) for ws in workbook.worksheets for row in ws.iter_rows()
            for cell in row]


def _produced(client, auth, people, admin, cli, tmp_path) -> dict[str, bytes]:
    files = {}
    auth.login(people["office_lead"])
    for url in ("/data/hq-report?as_of=2025-06-30", "/data/export/cases.csv",
                "/data/export/cases.xlsx", "/data/import/sample.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        files[url] = response.get_data()
    auth.logout()
    auth.login(admin)
    response = client.get("/admin/audit.csv")
    assert response.status_code == 200
    files["/admin/audit.csv"] = response.get_data()
    for name, args in {"export.csv": ("export", "--format", "csv"),
                       "export.xlsx": ("export", "--format", "xlsx"),
                       "hq.xlsx": ("report", "hq", "--as-of", "2025-06-30")}.items():
        path = tmp_path / name
        result = cli(*args, "--output", path)
        assert result.exit_code == 0, result.output
        files[f"cli {name}"] = path.read_bytes()
    return files


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


def test_no_file_the_app_writes_runs_a_formula(client, auth, people, make_user, hostile_world,
                                              cli, tmp_path):
    admin = make_user("admin")
    files = _produced(client, auth, people, admin, cli, tmp_path)
    seen_hostile = set()
    for name, raw in files.items():
        if raw.startswith(b"PK"):
            for sheet, cell in _xlsx_cells(raw):
                where = (f"{name} {sheet}!{cell.coordinate}", repr(cell.value))
                assert cell.data_type != "f" or (sheet, cell.coordinate) in ON_PURPOSE_FORMULAS, \
                    where
                if isinstance(cell.value, str) and is_guarded(cell.value):
                    assert cell.data_type == "s" and cell.quotePrefix, where
                    seen_hostile.add(cell.value)
                if isinstance(cell.value, int | float):
                    assert cell.data_type == "n", where
        else:
            for field in _csv_fields(raw):
                assert not is_guarded(field), (name, field)
                if field.startswith("'"):
                    seen_hostile.add(unguard(field))
    # The walk saw the hostile texts (as text), so it checked something.
    assert {HOSTILE[0], HOSTILE[1], HOSTILE[2], "-1+2"} <= seen_hostile


def test_hq_report_titles_and_kpi_names_are_text(client, auth, people, hostile_world):
    auth.login(people["office_lead"])
    raw = client.get("/data/hq-report?as_of=2025-06-30").get_data()
    cells = {cell.value: cell for _sheet, cell in _xlsx_cells(raw)}
    assert cells[HOSTILE[0]].data_type == "s"  # the title, not a live HYPERLINK()
    assert cells[HOSTILE[1]].data_type == "s"  # the KPI name
    assert b"<f>" not in b"".join(_sheet_xml(raw))


def _sheet_xml(raw: bytes):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                yield archive.read(name)


def test_export_round_trip_keeps_hostile_text(session, people, hostile_world):
    from workflow.interchange.exporter import export_cases, visible_cases
    from workflow.interchange.readers import read_table

    raw = export_cases(session, visible_cases(None), "csv")
    table = read_table(raw, "export.csv")
    values = {c for _n, row in table.rows for c in row}
    titles = set(session.scalars(select(Case.title).where(Case.state != "draft")))
    assert len(titles) > 5 and titles <= values  # (blank-led titles are stripped on entry)
    assert session.get(Department, people["requester"].department_id).name in values
    assert {"-1+2", HOSTILE[1], HOSTILE[10], HOSTILE[11]} <= values  # KPI name, texts, note
