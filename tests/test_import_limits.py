"""Import files built to take the server down are refused before they are parsed (or while
they stream), with a clear Japanese line and its English, and nothing is written."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from workflow.interchange import import_limits as limits
from workflow.interchange.importer import import_file
from workflow.interchange.readers import ImportFileError, read_table
from workflow.models import AuditEvent, Case

_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
        '"xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="一覧" sheetId="1" r:id="rId1"/>'
        '</sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
        '"worksheets/sheet1.xml"/></Relationships>'),
}
_HEAD = ('<row r="1"><c r="A1" t="inlineStr"><is><t>取組名</t></is></c><c r="B1" t="inlineStr">'
         '<is><t>所管局</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>窓口改革</t>'
         '</is></c><c r="B2" t="inlineStr"><is><t>市民局</t></is></c></row>')


def workbook(rows: str = "", dimension: str | None = None, padding: int = 0,
             extra_parts: int = 0) -> bytes:
    """A hand-written .xlsx (about 1.5 KB) whose sheet says and holds what the test wants."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
             f'openxmlformats.org/spreadsheetml/2006/main">{dim}<sheetData>{_HEAD}{rows}'
             f'</sheetData>{" " * padding}</worksheet>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in {**_PARTS, "xl/worksheets/sheet1.xml": sheet}.items():
            archive.writestr(name, body)
        for n in range(extra_parts):
            archive.writestr(f"customXml/item{n}.xml", "")
    return out.getvalue()


def refused(session, data: bytes, name: str) -> ImportFileError:
    with pytest.raises(ImportFileError) as raised:
        import_file(session, data, name)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Case)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    return raised.value


def test_a_sound_hand_written_workbook_reads():
    table = read_table(workbook(dimension="A1:B2"), "一覧.xlsx")
    assert table.rows == [(1, ["取組名", "所管局"]), (2, ["窓口改革", "市民局"])]


def test_a_tiny_workbook_declaring_the_whole_sheet_is_refused(session):
    data = workbook(dimension="A1:XFD1048576")
    assert len(data) < 2048
    error = refused(session, data, "一覧.xlsx")
    assert "シートの大きさ（1,048,576行×16,384列）が上限" in error.message("ja")
    assert "declares 1,048,576 rows x 16,384 columns" in error.message("en")


def test_a_cell_far_to_the_right_is_refused_though_the_dimension_is_small(session):
    data = workbook('<row r="3"><c r="XFD3"><v>1</v></c></row>', dimension="A1:B2")
    error = refused(session, data, "一覧.xlsx")
    assert "3行目の列が多すぎます（上限 1,000列）" in error.ja
    assert "Row 3 has too many columns" in error.en


def test_a_row_far_below_is_refused_without_a_dimension(session):
    data = workbook('<row r="1048576"><c r="A1048576"><v>1</v></c></row>')
    error = refused(session, data, "一覧.xlsx")
    assert "行が多すぎます（上限 200,000行）" in error.ja and "Too many rows" in error.en


def test_too_many_cells(session, monkeypatch):
    monkeypatch.setattr(limits, "MAX_CELLS", 50)  # the real cap would take seconds to build
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>1</v></c>' for c in "ABCDEFGHIJ")
                   + "</row>" for r in range(3, 10))
    error = refused(session, workbook(rows), "一覧.xlsx")
    assert "セルが多すぎます（上限 50個）" in error.ja and "Too many cells" in error.en


def test_a_zip_bomb_is_refused_before_it_is_unpacked(session):
    data = workbook(padding=60 * 1024 * 1024)  # 60 MB of blanks pack into about 60 KB
    assert len(data) < 200 * 1024
    error = refused(session, data, "一覧.xlsx")
    assert "圧縮率が異常です" in error.ja and "compression ratio is abnormal" in error.en


def test_a_workbook_that_unpacks_too_far(session, monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 4096)  # 200 MB would be slow to build
    monkeypatch.setattr(limits, "MAX_RATIO", 10_000)
    error = refused(session, workbook(padding=8192), "一覧.xlsx")
    assert "展開すると大きすぎます" in error.ja and "unpacks to too much data" in error.en


def test_a_workbook_of_too_many_parts(session):
    error = refused(session, workbook(extra_parts=limits.MAX_ZIP_ENTRIES), "一覧.xlsx")
    assert "中身が多すぎます" in error.ja and "too many parts" in error.en


HEADER = "取組名,所管局\r\n"


def test_csv_with_too_many_rows(session):
    data = (HEADER + "窓口改革,市民局\r\n" * limits.MAX_ROWS).encode()
    error = refused(session, data, "一覧.csv")
    assert "行が多すぎます（上限 200,000行）" in error.ja and "Too many rows" in error.en


def test_csv_with_a_line_too_long(session):
    data = (HEADER + "窓口改革," + "あ" * (limits.MAX_LINE_CHARS + 1) + "\r\n").encode()
    error = refused(session, data, "一覧.csv")
    assert "2行目が長すぎます（上限 100,000文字）" in error.ja
    assert "Line 2 is too long" in error.en


def test_csv_with_too_many_columns(session):
    data = (HEADER + "窓口改革,市民局" + "," * limits.MAX_COLUMNS + "\r\n").encode()
    error = refused(session, data, "一覧.csv")
    assert "2行目の列が多すぎます" in error.ja


def test_a_file_over_the_size_cap(session):
    data = HEADER.encode() + b"a" * limits.MAX_BYTES
    error = refused(session, data, "一覧.csv")
    assert "ファイルが大きすぎます（上限 50 MB）" in error.ja and "too large" in error.en


@pytest.mark.parametrize("depth", [limits.MAX_JSON_DEPTH + 1, 200_000])
def test_json_nested_too_deeply(session, depth):
    data = ("[" * depth + "]" * depth).encode()
    error = refused(session, data, "plan.json")
    assert "JSONの入れ子が深すぎます" in error.ja and "nested too deeply" in error.en


def test_json_over_its_size_cap(session):
    data = ("[" + " " * limits.MAX_JSON_BYTES + "]").encode()
    error = refused(session, data, "plan.json")
    assert "JSONファイルが大きすぎます（上限 20 MB）" in error.ja


def test_json_within_the_caps_still_reads():
    nested = {"title": "窓口改革", "kpis": [{"name": "件数", "targets": [{"fy": 2025}]}]}
    table = read_table(str([nested]).replace("'", '"').encode(), "plan.json")
    assert table.records == [nested]
