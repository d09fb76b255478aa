"""``dxflow import``: each format and encoding, the validation report, all-or-nothing,
``--skip-invalid``, re-import updating instead of duplicating, and what imported cases are.

Files are written in ``tmp_path`` as a city clerk's spreadsheet would have them: a title row
above the header, Japanese headers, several bureaus in one cell, per-FY target columns.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.workflow_helpers import NOW, case_events
from web.commands import main
from workflow import engine
from workflow.errors import AccessDenied
from workflow.interchange.importer import import_file
from workflow.models import AuditEvent, Case, Department, Kpi, Plan, Review

HEADER = ["取組名", "所管局", "状況", "概要", "KGI", "KPI名", "単位", "基準値（2023年度末現在）",
          "2025年度目標", "R8目標", "2024年度実績"]
ROWS = [
    ["窓口手続のオンライン化", "市民局・区役所", "実施中", "申請をオンラインで完結させる",
     "全ての手続きがオンラインで完結", "オンライン化した手続き数", "手続き", "1,000",
     "2,000（1,800）", "2,500", "1200"],
    ["", "", "", "", "", "窓口の平均待ち時間", "分", "30", "20", "15", ""],
    ["消防アプリの実証", "消防局", "実証中", "", "", "", "", "", "", "", ""],
    ["スマートメーターの検討", "水道局\n環境局", "検討中", "", "", "", "", "", "", "", ""],
]


def clerk_csv(rows=ROWS, header=HEADER, title=True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if title:
        writer.writerow(["DX取組 進捗状況一覧（2025年7月末時点）"])
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def write_xlsx(tmp_path: Path, sheets: dict[str, list[list]], name="取組一覧.xlsx") -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        ws = workbook.create_sheet(title)
        for row in rows:
            ws.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


@pytest.fixture
def cli(app):
    try:  # click < 8.2 mixes stderr into the output unless told not to
        runner = app.test_cli_runner(mix_stderr=False)
    except TypeError:
        runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(main, [str(a) for a in args])

    return run


def cases(session) -> dict[str, Case]:
    session.expire_all()
    return {c.title: c for c in session.scalars(select(Case).order_by(Case.id))}


def count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def kpis_of(session, case: Case) -> dict[str, Kpi]:
    plan = session.scalar(select(Plan).where(Plan.case_id == case.id))
    return {k.name: k for k in plan.kpis} if plan else {}


def dept(session, name: str) -> Department:
    return session.scalar(select(Department).where(Department.name == name))


# --- formats and encodings ------------------------------------------------------------------


def test_cp932_csv_with_japanese_headers_and_multi_bureau_cells(cli, session, tmp_path):
    path = write(tmp_path, "取組一覧.csv", clerk_csv(), "cp932")
    result = cli("import", path)
    assert result.exit_code == 0, result.output + result.stderr
    assert "cp932" in result.output and "見出しは2行目" in result.output
    assert "新規 3件" in result.output
    found = cases(session)
    assert set(found) == {"窓口手続のオンライン化", "消防アプリの実証", "スマートメーターの検討"}
    online = found["窓口手続のオンライン化"]
    assert online.department.name == "市民局"
    # 区役所 names no single department: reported, not invented.
    assert "「区役所」は登録された部局ではない" in result.output
    assert online.state == "review_monitoring"  # 実施中 with KPI targets
    assert found["消防アプリの実証"].state == "solution_poc"
    meter = found["スマートメーターの検討"]
    assert (meter.department.name, meter.state) == ("水道局", "consultation_study")
    kpis = kpis_of(session, online)
    assert list(kpis) == ["オンライン化した手続き数", "窓口の平均待ち時間"]
    online_kpi = kpis["オンライン化した手続き数"]
    assert online_kpi.baseline == 1000 and online_kpi.baseline_label == "2023年度末現在"
    target = online_kpi.target_for(2025)
    assert (target.value, target.original_value) == (2000, 1800)
    assert online_kpi.target_for(2026).value == 2500
    assert [(a.fiscal_year, a.value) for a in online_kpi.actuals] == [(2024, 1200)]
    assert kpis["窓口の平均待ち時間"].direction == "decrease"
    # Where each case came from, on its first audit event.
    event = case_events(session, meter)[0]
    assert (event.kind, event.to_state, event.case_version) == ("imported", "consultation_study", 1)
    assert event.data["source"] == "取組一覧.csv" and event.data["row"] == 6
    assert event.data["co_departments"] == ["環境局"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_csv_with_and_without_bom_and_english_headers(cli, session, tmp_path, encoding):
    text = clerk_csv(rows=[["Online forms", "Citizens Bureau", "planning_plan", "FY2025 KPI",
                            "100", "300"]],
                     header=["Title", "Department", "Status", "KPI", "Baseline", "FY2025 target"],
                     title=False)
    path = write(tmp_path, "initiatives.csv", text, encoding)
    result = cli("import", path, "--lang", "en")
    assert result.exit_code == 0, result.output + result.stderr
    assert encoding in result.output
    case = cases(session)["Online forms"]
    assert (case.department.name, case.state) == ("市民局", "planning_plan")
    assert kpis_of(session, case)["FY2025 KPI"].target_for(2025).value == 300


def test_xlsx_first_sheet_named_sheet_and_merged_kpi_rows(cli, session, tmp_path):
    rows = [["取組名", "所管", "進捗状況", "KPI", "単位", "基準値", "2025年度目標", "2026年度目標"],
            ["道路の点検", "建設局", "実施中", "点検の自動化率", "%", 10, 50, 80],
            [None, None, None, "点検時間", "時間", 1200.0, 800, 600.5]]
    path = write_xlsx(tmp_path, {"表紙": [["DX推進本部会議 資料"]], "一覧": rows})
    result = cli("import", path, "--sheet", "一覧")
    assert result.exit_code == 0, result.output + result.stderr
    case = cases(session)["道路の点検"]
    kpis = kpis_of(session, case)
    assert set(kpis) == {"点検の自動化率", "点検時間"}
    assert kpis["点検時間"].target_for(2026).value == Decimal("600.5")
    assert case.state == "review_monitoring"


def test_xlsx_wrong_sheet_names_the_sheets(cli, session, tmp_path):
    path = write_xlsx(tmp_path, {"表紙": [["x"]], "一覧": [["取組名", "所管"], ["a", "福祉局"]]})
    result = cli("import", path, "--sheet", "2025年度")
    assert result.exit_code == 2
    assert "シート「2025年度」はありません" in result.stderr
    assert "「表紙」、「一覧」" in result.stderr
    assert count(session, Case) == 0


def test_json_in_the_action_plan_shape(cli, session, tmp_path):
    items = [{
        "title": "保育所入所申請のオンライン化", "page": 30, "category": "サービスDX",
        "departments": ["こども青少年局"], "values": ["サービス"], "summary": "申請を電子化する",
        "status": "2024年度に電子申請の実証を開始した。", "kgi": "申請の100%をオンラインで",
        "kpis": [{"name": "オンライン申請率", "unit": "%", "baseline": 10,
                  "baseline_label": "2023年度現在", "targets": {"2025": 50, "2026": 80},
                  "raw": {"2025": "50%（40%）", "2026": "80%"}, "kind": "numeric"}],
    }, {"title": "部局なし", "page": 31, "category": "行政DX", "departments": [],
        "status": "検討中", "kpis": []}]
    path = write(tmp_path, "plan.json", json.dumps(items, ensure_ascii=False))
    result = cli("import", path, "--skip-invalid")
    assert result.exit_code == 0, result.output + result.stderr
    assert "2件目 [所管部局]: 所管部局が空です" in result.output
    case = cases(session)["保育所入所申請のオンライン化"]
    assert case.external_id == "AP2024-030-1" and case.category == "service"
    assert case.values == ["service"] and case.state == "solution_poc"  # 実証を開始 → 実証中
    kpi = kpis_of(session, case)["オンライン申請率"]
    assert (kpi.target_for(2025).value, kpi.target_for(2025).original_value) == (50, 40)
    kgi = session.scalar(select(Plan.kgi).where(Plan.case_id == case.id))
    assert kgi == "申請の100%をオンラインで"


# --- the validation report and all-or-nothing -----------------------------------------------


BAD_ROWS = [*ROWS,
            ["存在しない局の取組", "未来局", "実施中", "", "", "", "", "", "", "", ""],
            ["状況の分からない取組", "福祉局", "様子見", "", "", "", "", "", "", "", ""],
            ["目標が大きすぎる取組", "福祉局", "実施中", "", "", "指標", "件", "1",
             "1,000,000,000,000,000", "", ""]]
VALID = {"窓口手続のオンライン化", "消防アプリの実証", "スマートメーターの検討"}
SIMPLE = ["取組名", "所管", "状況"]


def test_one_invalid_row_writes_nothing(cli, session, tmp_path):
    path = write(tmp_path, "取組一覧.csv", clerk_csv(BAD_ROWS), "cp932")
    result = cli("import", path)
    assert result.exit_code == 1
    assert count(session, Case) == 0 and count(session, AuditEvent) == 0
    out = result.output
    assert "7行目 [所管局]: 所管部局「未来局」が登録されていません" in out
    assert "8行目 [状況]: 状況「様子見」を段階に対応付けられません" in out and "--status-map" in out
    assert "9行目 [2025年度目標]: 数値が大きすぎます" in out
    assert "何も書き込みませんでした" in out


def test_skip_invalid_imports_the_valid_rows_and_lists_the_rest(cli, session, tmp_path):
    path = write(tmp_path, "取組一覧.csv", clerk_csv(BAD_ROWS), "cp932")
    result = cli("import", path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "新規 3件" in result.output and "スキップ 3件" in result.output
    assert "未来局" in result.output
    assert set(cases(session)) == VALID


def test_dry_run_reports_and_writes_nothing(cli, session, tmp_path):
    path = write(tmp_path, "取組一覧.csv", clerk_csv(), "cp932")
    result = cli("import", path, "--dry-run")
    assert result.exit_code == 0
    assert "新規 3件" in result.output and "確認のみ" in result.output
    assert count(session, Case) == 0 and count(session, AuditEvent) == 0


def test_unknown_headers_are_reported_and_mappable(cli, session, tmp_path):
    header = ["取組名", "所管局", "状況", "指標の名前", "令和7年度見込み値", "担当者メモ"]
    rows = [["電子契約の導入", "契約管財局", "導入済", "電子契約の割合", "60", "メモ"]]
    path = write(tmp_path, "a.csv", clerk_csv(rows, header, title=False))
    first = cli("import", path)
    assert first.exit_code == 1  # a target without a KPI name column to hang it on
    assert "読み取らなかった列: 指標の名前, 担当者メモ" in first.output
    assert "KPIの値がありますがKPI名が空です" in first.output
    second = cli("import", path, "--map", "指標の名前=kpi_name", "--map", "担当者メモ=ignore")
    assert second.exit_code == 0, second.output
    assert "読み取らなかった列" not in second.output
    kpi = kpis_of(session, cases(session)["電子契約の導入"])["電子契約の割合"]
    assert kpi.target_for(2025).value == 60  # 令和7年度見込み値 reads as FY2025
    bad = cli("import", path, "--map", "指標の名前=kpi_title")
    assert bad.exit_code == 2 and "unknown field 'kpi_title'" in bad.stderr


def test_status_map_overrides_the_documented_mapping(cli, session, tmp_path):
    rows = [["庁内チャットの試行", "人事室", "試行中"], ["文書管理の検討", "財政局", "検討中"]]
    path = write(tmp_path, "a.csv", clerk_csv(rows, ["取組名", "所管", "状況"], title=False))
    assert cli("import", path).exit_code == 1  # 試行中 is not a word dxflow knows
    result = cli("import", path, "--status-map", "試行中=solution_poc",
                 "--status-map", "検討中=consultation_hearing")
    assert result.exit_code == 0, result.output
    found = cases(session)
    assert found["庁内チャットの試行"].state == "solution_poc"
    assert found["文書管理の検討"].state == "consultation_hearing"
    assert cli("import", path, "--status-map", "試行中=trial").exit_code == 2


def test_drafts_and_on_hold_cannot_be_imported(session):
    text = clerk_csv([["下書きの取組", "福祉局", "draft"], ["保留の取組", "福祉局", "保留"]],
                     ["取組名", "所管", "状況"], title=False)
    report = import_file(session, text.encode(), "a.csv")
    assert report.stopped and len(report.errors) == 2
    assert "取り込めません" in report.errors[0].ja


# --- re-import: updates, not duplicates -------------------------------------------------------


def test_reimport_is_idempotent_and_updates_what_changed(cli, session, tmp_path):
    path = write(tmp_path, "取組一覧.csv", clerk_csv(), "cp932")
    assert cli("import", path).exit_code == 0
    before = {t: (c.id, c.version) for t, c in cases(session).items()}
    events = count(session, AuditEvent)
    again = cli("import", path)
    assert again.exit_code == 0 and "変更なし 3件" in again.output
    assert {t: (c.id, c.version) for t, c in cases(session).items()} == before
    assert count(session, AuditEvent) == events
    # The clerk raises a target and adds a description: one update, through the version.
    rows = [list(r) for r in ROWS]
    rows[0][8] = "2,200"
    rows[2][3] = "救急要請をアプリで"
    changed = cli("import", write(tmp_path, "v2.csv", clerk_csv(rows), "cp932"))
    assert changed.exit_code == 0 and "更新 2件" in changed.output and "新規 0件" in changed.output
    found = cases(session)
    online = found["窓口手続のオンライン化"]
    assert online.version == before["窓口手続のオンライン化"][1] + 1
    target = kpis_of(session, online)["オンライン化した手続き数"].target_for(2025)
    # Imported in KPI review, its plan is approved: the raise is a revision keeping 1,800.
    assert (target.value, target.original_value) == (2200, 1800)
    assert found["消防アプリの実証"].description == "救急要請をアプリで"
    update = case_events(session, online, "imported")[-1]
    assert update.data["action"] == "update" and update.case_version == online.version


def test_reimport_matches_by_external_id_before_title(session):
    header = ["外部ID", "取組名", "所管", "状況"]
    first = clerk_csv([["K-1", "旧い名前", "福祉局", "検討中"]], header, title=False)
    assert import_file(session, first.encode(), "a.csv").written
    renamed = clerk_csv([["K-1", "新しい名前", "福祉局", "検討中"]], header, title=False)
    report = import_file(session, renamed.encode(), "b.csv")
    assert report.updated and not report.created
    assert list(cases(session)) == ["新しい名前"]


def test_reimport_never_moves_a_case(session, people):
    text = clerk_csv([["移動しない取組", "福祉局", "検討中"]], SIMPLE, title=False)
    import_file(session, text.encode(), "a.csv")
    case = cases(session)["移動しない取組"]
    moved = clerk_csv([["移動しない取組", "福祉局", "完了"]], SIMPLE, title=False)
    report = import_file(session, moved.encode(), "a.csv")
    assert cases(session)["移動しない取組"].state == case.state == "consultation_study"
    assert any("状態は変更しません" in w.ja for w in report.warnings)


# --- what an imported case is ----------------------------------------------------------------


def test_imported_cases_move_on_through_the_engine(session, people):
    text = clerk_csv([["福祉の窓口改革", "福祉局", "検討中"]], SIMPLE, title=False)
    import_file(session, text.encode(), "a.csv", actor=people["office_lead"])
    case = cases(session)["福祉の窓口改革"]
    result = engine.fire(session, case, "decide_go", people["dept_manager"])
    assert (result.from_state, result.to_state) == ("consultation_study", "planning_as_is")
    first, second = case_events(session, case)
    # The log replays: the import's to_state is where the first transition starts.
    assert first.kind == "imported" and first.actor_id == people["office_lead"].id
    assert second.from_state == first.to_state


def test_cases_imported_in_review_get_review_obligations(session, make_user):
    manager = make_user("dept_manager", "citizens")
    import_file(session, clerk_csv().encode("cp932"), "a.csv", now=NOW)
    online = cases(session)["窓口手続のオンライン化"]
    reviews = session.scalars(select(Review).where(Review.case_id == online.id)
                              .order_by(Review.fiscal_year)).all()
    assert [(r.fiscal_year, r.owner_id) for r in reviews] == [(2025, manager.id),
                                                               (2026, manager.id)]
    plan = session.scalar(select(Plan).where(Plan.case_id == online.id))
    assert plan.approved_at is not None


def test_only_the_office_lead_and_admins_import(cli, session, people, tmp_path):
    with pytest.raises(AccessDenied):
        import_file(session, clerk_csv().encode("cp932"), "a.csv", actor=people["office"])
    path = write(tmp_path, "a.csv", clerk_csv(), "cp932")
    result = cli("import", path, "--as", people["requester"].email)
    assert result.exit_code == 2 and "権限がありません" in result.stderr
    assert cli("import", path, "--as", people["admin"].email).exit_code == 0


def test_large_file_shows_progress(cli, session, tmp_path):
    rows = [[f"取組{n:04d}", "福祉局", "検討中"] for n in range(1200)]
    path = write(tmp_path, "big.csv", clerk_csv(rows, ["取組名", "所管", "状況"], title=False))
    result = cli("import", path)
    assert result.exit_code == 0, result.output
    assert "Importing" in result.stderr
    assert count(session, Case) == 1200
