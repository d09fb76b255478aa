"""Files ``dxflow import`` cannot use: one clear line, exit status 2, nothing written."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from web.commands import main
from workflow.interchange.importer import import_file
from workflow.interchange.readers import ImportFileError
from workflow.models import AuditEvent, Case

XLSX_MAGIC = b"PK\x03\x04"
OLD_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


@pytest.fixture
def cli(app):
    try:
        runner = app.test_cli_runner(mix_stderr=False)
    except TypeError:
        runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


def nothing_written(session) -> bool:
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Case)) == 0
            and session.scalar(select(func.count()).select_from(AuditEvent)) == 0)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "ファイルが空です"),
    ("blank.csv", b"  \r\n\r\n ", "ファイルが空です"),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
     "テキストファイルではありません"),
    ("old.xls", OLD_XLS, "古い形式のExcelファイル（.xls）"),
    ("broken.xlsx", XLSX_MAGIC + b"not really a workbook" * 50,
     "Excelファイル（.xlsx）として読めません"),
    ("plan.json", b'[{"title": "x",', "JSONとして読めません"),
    ("plan.json", b'{"title": "x"}', "JSONは取組の配列"),
    ("header.csv", "取組名,所管局,状況\r\n".encode(), "見出しの下にデータの行がありません"),
    ("nobureau.csv", "取組名,状況\r\n窓口改革,検討中\r\n".encode(),
     "必須の列「所管部局」がありません"),
    ("other.csv", "氏名,電話番号\r\n山田,06-0000\r\n".encode(),
     "読めなかった見出し：氏名、電話番号"),
], ids=["empty", "blank", "binary", "old-xls", "broken-xlsx", "bad-json", "json-object",
        "header-only", "no-bureau-column", "unrelated-sheet"])
def test_unusable_files_exit_2_with_a_clear_line(cli, session, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = cli("import", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert message in lines[0]
    assert nothing_written(session)


def test_ten_megabytes_of_garbage(cli, session, tmp_path):
    path = tmp_path / "取組一覧.csv"
    path.write_bytes(os.urandom(10 * 1024 * 1024))
    result = cli("import", path)
    assert result.exit_code == 2
    assert "テキストファイルではありません" in result.stderr
    assert nothing_written(session)


def test_ten_megabytes_of_text_garbage(session):
    """Printable junk decodes as text; no header row is found in it."""
    junk = ("ｱｲｳｴｵ;;;|||" * 100 + "\n") * 9000
    with pytest.raises(ImportFileError) as raised:
        import_file(session, junk.encode("cp932"), "junk.csv")
    assert "必須の列" in raised.value.ja
    assert nothing_written(session)


def test_sheet_option_on_a_csv_and_a_missing_file(cli, session, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("取組名,所管局\r\n窓口改革,福祉局\r\n", encoding="utf-8")
    result = cli("import", path, "--sheet", "一覧")
    assert result.exit_code == 2 and "--sheet" in result.stderr
    missing = cli("import", tmp_path / "none.csv")
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    assert nothing_written(session)


def test_english_messages(cli, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = cli("import", path, "--lang", "en")
    assert result.exit_code == 2 and "The file is empty." in result.stderr


@pytest.mark.parametrize(("kind", "ja", "en"), [
    ("declared", "シートの大きさ（1,048,576行×16,384列）が上限", "declares 1,048,576 rows"),
    ("bomb", "圧縮率が異常です", "compression ratio is abnormal"),
])
def test_workbooks_built_to_exhaust_the_server(cli, session, tmp_path, kind, ja, en):
    from tests.test_import_limits import workbook

    path = tmp_path / "取組一覧.xlsx"
    path.write_bytes(workbook(dimension="A1:XFD1048576") if kind == "declared"
                     else workbook(padding=60 * 1024 * 1024))
    result = cli("import", path)
    assert result.exit_code == 2 and ja in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    english = cli("import", path, "--lang", "en")
    assert english.exit_code == 2 and en in english.stderr
    assert nothing_written(session)
