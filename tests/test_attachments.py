"""Uploads are checked by what they contain, not by their name; names are cleaned of path parts;
files are stored under the instance dir (never the web root) and only served to those who may
see the case."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

import web
from tests.conftest import csrf_token
from tests.workflow_helpers import new_case
from workflow.attachments import check_file, safe_filename, store_attachment
from workflow.errors import InvalidInput
from workflow.models import Attachment

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
SHELL_SCRIPT = b"#!/bin/sh\nrm -rf /\n"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00"
CP932_CSV = ("部局,手続名,年間件数\n福祉局,児童手当の申請,12000\n"
             "財政局,市税の証明,８０００\n").encode("cp932")


def reason_code(exc: InvalidInput) -> str:
    (reason,) = exc.field_errors["file"]
    return reason.code


# --- content, not extension -------------------------------------------------------------------

@pytest.mark.parametrize("name, data", [
    ("申請書.pdf", PNG),
    ("申請書.pdf", WINDOWS_EXE),
    ("申請書.pdf", ELF),
    ("申請書.pdf", SHELL_SCRIPT),
    ("写真.png", PDF),
    ("写真.jpg", WINDOWS_EXE),
    ("集計.xlsx", WINDOWS_EXE),
    ("メモ.txt", WINDOWS_EXE),  # NUL bytes: not text
    ("一覧.csv", ELF),
    ("一覧.csv", PNG),
])
def test_content_that_does_not_match_the_extension_is_refused(name, data):
    with pytest.raises(InvalidInput) as caught:
        check_file(name, data)
    assert reason_code(caught.value) == "file_content"


@pytest.mark.parametrize("name", ["setup.exe", "run.sh", "page.html", "image.svg", "no_extension",
                                  "申請書.pdf.exe"])
def test_other_kinds_of_file_are_refused_by_name(name):
    with pytest.raises(InvalidInput) as caught:
        check_file(name, PDF)
    assert reason_code(caught.value) == "file_type"


@pytest.mark.parametrize("name, data, content_type", [
    ("申請書.pdf", PDF, "application/pdf"),
    ("申請書.PDF", PDF, "application/pdf"),
    ("写真.png", PNG, "image/png"),
    ("業務量.xlsx", ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("件数.csv", CP932_CSV, "text/csv"),
    ("件数.txt", CP932_CSV, "text/plain"),
    ("件数.csv", "\ufeff部局,件数\n福祉局,3\n".encode(), "text/csv"),
])
def test_matching_content_is_accepted(name, data, content_type):
    assert check_file(name, data) == content_type


def test_a_long_cp932_text_cut_in_the_middle_of_a_character_is_still_text():
    # One ASCII byte, then two bytes a character: byte 65,536 is the first half of one.
    data = b"#" + ("福祉局の窓口業務" * 5000).encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        data[:65536].decode("cp932")
    assert check_file("長いメモ.txt", data) == "text/plain"


def test_empty_and_oversized_files_are_refused():
    with pytest.raises(InvalidInput) as caught:
        check_file("空.pdf", b"")
    assert reason_code(caught.value) == "file_empty"
    with pytest.raises(InvalidInput) as caught:
        check_file("大.pdf", PDF + b"0" * 2048, max_bytes=1024)
    assert reason_code(caught.value) == "file_size"


# --- names ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, clean", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("/var/lib/dxflow/instance/uploads/x.pdf", "x.pdf"),
    ("C:\\Users\\福祉 太郎\\Desktop\\現状業務フロー.pdf", "現状業務フロー.pdf"),
    ("..\\..\\web\\static\\evil.pdf", "evil.pdf"),
    ("a\x00b\r\nc.pdf", "abc.pdf"),
    ('what<>:"|?*.pdf', "what.pdf"),
    ("..", "file"),
    ("", "file"),
    ("ﾃｽﾄ資料.pdf", "ﾃｽﾄ資料.pdf"),  # half-width kana stay as the user named them
])
def test_file_names_lose_path_parts_and_odd_characters(name, clean):
    assert safe_filename(name) == clean


def test_a_stored_file_keeps_only_its_cleaned_name(session, people, tmp_path):
    case = new_case(session, people["requester"])
    storage = tmp_path / "instance" / "uploads"
    attachment = store_attachment(session, case, people["requester"],
                                  "../../../outside/報告書.pdf", PDF, storage)
    assert attachment.filename == "報告書.pdf"
    assert [p.name for p in storage.iterdir()] == [attachment.stored_name]
    assert len(attachment.stored_name) == 32 and attachment.stored_name.isalnum()
    assert not (tmp_path / "outside").exists()
    assert (storage / attachment.stored_name).read_bytes() == PDF


def test_a_refused_file_leaves_nothing_behind(session, people, tmp_path):
    case = new_case(session, people["requester"])
    storage = tmp_path / "uploads"
    with pytest.raises(InvalidInput):
        store_attachment(session, case, people["requester"], "申請書.pdf", WINDOWS_EXE, storage)
    assert not storage.exists() or not any(storage.iterdir())
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


# --- through the web app ----------------------------------------------------------------------

def upload(client, case_id: int, name: str, data: bytes):
    token = csrf_token(client, f"/cases/{case_id}")
    return client.post(f"/cases/{case_id}/attachments",
                       data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def attachments(session, case_id: int) -> list[Attachment]:
    session.expire_all()
    return list(session.scalars(select(Attachment).where(Attachment.case_id == case_id)))


def test_upload_of_an_executable_named_pdf_is_refused(client, auth, session, people, app):
    case = new_case(session, people["requester"])
    auth.login(people["requester"])
    response = upload(client, case.id, "議事録.pdf", WINDOWS_EXE)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ファイルの中身が拡張子と一致しません" in page
    assert attachments(session, case.id) == []
    uploads = Path(app.config["UPLOAD_DIR"])
    assert not uploads.exists() or not any(uploads.iterdir())


def browser_upload(client, case_id: int, disposition_filename: str, data: bytes):
    """POST a multipart body byte for byte as a browser writes it (HTML Standard: quotes
    as %22, backslashes sent as they are), so the test does not depend on how one
    Werkzeug's test client encodes a file name."""
    token = csrf_token(client, f"/cases/{case_id}")
    boundary = "----dxflowBoundary7MA4YWxkTrZu0gW"
    body = (f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n"
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; {disposition_filename}\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(f"/cases/{case_id}/attachments", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("disposition", [
    'filename="件数.csv"',                                  # every current browser
    'filename="C:\\Users\\tanaka\\Desktop\\件数.csv"',    # old Windows browsers: the full path
    'filename="..\\..\\static\\件数.csv"',                  # a hand-made traversal, Windows style
    'filename="../../static/件数.csv"',                     # and POSIX style
    'filename="C:\\\\share\\\\件数.csv"',                # an RFC 9110 client escaping backslashes
    "filename*=UTF-8''..%2F..%2Fstatic%2F%E4%BB%B6%E6%95%B0.csv",  # RFC 5987 form
], ids=["plain", "ie-full-path", "backslash-traversal", "slash-traversal", "rfc9110-escaped",
        "rfc5987"])
def test_uploaded_file_keeps_only_its_own_name_and_lives_under_the_instance_dir(
        client, auth, session, people, app, disposition):
    case = new_case(session, people["requester"])
    auth.login(people["requester"])
    response = browser_upload(client, case.id, disposition, CP932_CSV)
    assert response.status_code == 302
    (attachment,) = attachments(session, case.id)
    assert attachment.filename == "件数.csv" and attachment.content_type == "text/csv"
    stored = (Path(app.config["UPLOAD_DIR"]) / attachment.stored_name).resolve()
    assert stored.read_bytes() == CP932_CSV
    assert stored.is_relative_to(Path(app.instance_path).resolve())
    static = Path(app.static_folder).resolve()
    assert not stored.is_relative_to(static)
    assert not list(static.rglob(attachment.stored_name))
    assert not list(static.rglob("件数.csv"))
    assert client.get(f"/static/{attachment.stored_name}").status_code == 404

    with client.get(f"/cases/{case.id}/attachments/{attachment.id}") as download:
        assert download.status_code == 200 and download.data == CP932_CSV
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_default_upload_dir_is_inside_the_instance_dir(monkeypatch, tmp_path):
    from web import config as web_config

    monkeypatch.delenv("DXFLOW_UPLOAD_DIR", raising=False)
    monkeypatch.setenv("DXFLOW_INSTANCE_DIR", str(tmp_path / "instance"))
    settings = web_config.from_environment()
    uploads = Path(settings["UPLOAD_DIR"]).resolve()
    assert uploads.is_relative_to(Path(settings["DXFLOW_INSTANCE_DIR"]).resolve())
    assert not uploads.is_relative_to(Path(web.__file__).resolve().parent / "static")


def test_another_bureaus_attachment_is_404(client, auth, session, people, make_user, tmp_path,
                                           app):
    own = new_case(session, people["requester"])
    finance = make_user("requester", "finance")
    foreign = new_case(session, finance)
    foreign_file = store_attachment(session, foreign, finance, "財政資料.pdf", PDF,
                                    Path(app.config["UPLOAD_DIR"]))
    auth.login(people["requester"])
    assert client.get(f"/cases/{foreign.id}/attachments/{foreign_file.id}").status_code == 404
    # Nor through a case the user may see: the attachment must belong to the case in the URL.
    assert client.get(f"/cases/{own.id}/attachments/{foreign_file.id}").status_code == 404
    # And no upload into the other bureau's case either.
    token = csrf_token(client, f"/cases/{own.id}")
    response = client.post(f"/cases/{foreign.id}/attachments",
                           data={"csrf_token": token, "file": (io.BytesIO(PDF), "x.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 404
    assert [a.id for a in attachments(session, foreign.id)] == [foreign_file.id]
    # The owner's bureau still gets it.
    auth.logout()
    auth.login(finance)
    with client.get(f"/cases/{foreign.id}/attachments/{foreign_file.id}") as download:
        assert download.data == PDF
