"""The admin import screens: upload, check (nothing written), map what was not understood,
import; only the office lead and administrators get there."""

from __future__ import annotations

import io
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from workflow.models import AuditEvent, Case

CSV = ("取組名,所管局,状況,KPI名,2025年度目標,担当メモ\r\n"
       "窓口のオンライン化,市民局,実施中,オンライン手続数,2000,メモ\r\n"
       "庁内チャットの試行,人事室,試行中,,,\r\n")


def cases(session) -> list[Case]:
    session.expire_all()
    return list(session.scalars(select(Case).order_by(Case.id)))


def finished(auth, response, timeout: float = 60):
    """The job page an upload or confirm redirects to, once the background import is done."""
    if response.status_code != 303:
        return response
    url = response.headers["Location"]
    assert "/data/import/jobs/" in url
    deadline = time.monotonic() + timeout
    while True:
        page = auth.client.get(url)
        if 'http-equiv="refresh"' not in page.get_data(as_text=True):
            return page
        assert time.monotonic() < deadline, "the import job did not finish"
        time.sleep(0.05)


def upload(auth, data: bytes, name="取組一覧.csv", **fields):
    token = csrf_token(auth.client, "/data/import")
    payload = {"csrf_token": token, "file": (io.BytesIO(data), name), **fields}
    return finished(auth, auth.client.post("/data/import", data=payload,
                                           content_type="multipart/form-data"))


def post_confirm(auth, fields):
    return finished(auth, auth.client.post("/data/import/confirm", data=fields))


def confirm_fields(html: str) -> dict[str, str]:
    """The hidden and chosen fields of the check page's form, as a browser would send them."""
    import re

    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    fields.update(re.findall(r'<input id="(token|sheet)" name="\1" type="hidden" value="([^"]*)"',
                             html))
    return fields


@pytest.mark.parametrize("role", ["requester", "dept_manager", "office", "expert", "executive"])
def test_other_roles_cannot_import(auth, people, role):
    auth.login(people[role])
    assert auth.client.get("/data/import").status_code == 403


def test_check_map_and_import(auth, people, session):
    auth.login(people["office_lead"])
    page = auth.client.get("/data/import")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "データの取り込み" in text and "実証中" in text  # the documented status words

    checked = upload(auth, CSV.encode("cp932"))
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "取り込み内容の確認" in html and "まだ何も書き込んでいません" in html
    assert "担当メモ" in html  # the unknown column, offered for mapping
    assert "試行中" in html and "状況「試行中」を段階に対応付けられません" in html
    assert '<td class="where">3行目</td>' in html
    assert cases(session) == []

    fields = confirm_fields(html)
    fields.update({"status-state-1": "solution_poc", "column-field-1": "ignore", "run": "取り込む"})
    done = post_confirm(auth, fields)
    body = done.get_data(as_text=True)
    assert done.status_code == 200, body
    assert "取り込みが完了しました" in body
    found = {c.title: c.state for c in cases(session)}
    assert found == {"窓口のオンライン化": "review_monitoring",
                     "庁内チャットの試行": "solution_poc"}
    event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "imported").limit(1))
    assert event.actor_id == people["office_lead"].id and event.data["source"] == "取組一覧.csv"
    history = auth.client.get(f"/cases/{event.case_id}").get_data(as_text=True)
    assert "データ取り込みで登録しました（取組一覧.csv）" in history
    # The staged file is gone: the same token cannot import twice.
    again = auth.client.post("/data/import/confirm", data=fields, follow_redirects=True)
    assert "有効期限が切れました" in again.get_data(as_text=True)


def test_invalid_rows_stop_the_import_until_skipped(auth, people, session):
    auth.login(people["admin"])
    html = upload(auth, CSV.encode("utf-8")).get_data(as_text=True)
    assert "このままでは1件も取り込みません" in html
    fields = confirm_fields(html) | {"run": "取り込む"}
    refused = post_confirm(auth, fields).get_data(as_text=True)
    assert "取り込みませんでした" in refused and cases(session) == []
    fields["skip_invalid"] = "y"
    done = post_confirm(auth, fields).get_data(as_text=True)
    assert "取り込みが完了しました" in done
    assert [c.title for c in cases(session)] == ["窓口のオンライン化"]


def test_unusable_file_shows_the_reason_on_the_form(auth, people, session):
    auth.login(people["office_lead"])
    response = upload(auth, b"\x89PNG\r\n\x1a\n\x00\x00binary", name="photo.csv")
    assert response.status_code == 200
    assert "テキストファイルではありません" in response.get_data(as_text=True)
    response = upload(auth, b"x", name="notes.docx")
    assert "CSV・Excel（.xlsx）・JSONのファイルを選んでください" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_token_is_only_good_for_its_uploader(auth, people, make_user, session):
    auth.login(people["office_lead"])
    fields = confirm_fields(upload(auth, CSV.encode()).get_data(as_text=True))
    auth.logout()
    auth.login(make_user("office_lead"))
    fields["csrf_token"] = csrf_token(auth.client, "/data/import")
    fields["run"] = "取り込む"
    response = auth.client.post("/data/import/confirm", data=fields, follow_redirects=True)
    assert "有効期限が切れました" in response.get_data(as_text=True)
    assert cases(session) == []


def test_sample_csv(auth, people):
    auth.login(people["admin"])
    response = auth.client.get("/data/import/sample.csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert "取組名" in response.data.decode("utf-8-sig")


# --- the import runs off the request thread ---------------------------------------------------


def test_the_upload_returns_before_the_import_runs(auth, people, session, monkeypatch):
    import threading

    from web.data import jobs
    from workflow.models import ImportJob

    release, started = threading.Event(), threading.Event()
    real = jobs.import_file

    collector_during = []

    def slow_import(*args, **kwargs):
        import gc

        collector_during.append(gc.isenabled())
        kwargs["progress"](3, 8)
        started.set()
        assert release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "import_file", slow_import)
    auth.login(people["office_lead"])
    token = csrf_token(auth.client, "/data/import")
    response = auth.client.post("/data/import", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(CSV.encode()), "取組一覧.csv")})
    assert response.status_code == 303  # answered while the import has not finished
    assert started.wait(30)
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="1">' in page
    assert '<progress class="import-progress" max="8" value="3">' in page
    assert "<script>" not in page  # the CSP forbids inline scripts
    job = session.scalar(select(ImportJob))
    assert job.state == "running" and job.user_id == people["office_lead"].id
    release.set()
    html = finished(auth, response).get_data(as_text=True)
    assert "取り込み内容の確認" in html
    session.expire_all()
    job = session.get(ImportJob, job.id)
    assert job.state == "done" and job.result["initiatives"] == 2 and job.dry_run
    import gc

    # No full collection pauses the other requests while the import runs; back on after.
    assert collector_during == [False] and gc.isenabled()


def test_the_job_page_reads_the_database(auth, people, session):
    """Another app process (no progress in memory) shows the job from its row."""
    from workflow.models import ImportJob

    job = ImportJob(user_id=people["office_lead"].id, filename="取組一覧.csv", token="0" * 32,
                    state="running", done=30, total=120, dry_run=False, options={})
    session.add(job)
    session.commit()
    auth.login(people["office_lead"])
    page = auth.client.get(f"/data/import/jobs/{job.id}").get_data(as_text=True)
    assert '<progress class="import-progress" max="120" value="30">' in page
    assert "30 / 120 件（25%）" in page and "取り込んでいます" in page


def test_another_users_job_is_not_found(auth, people, make_user, session):
    from workflow.models import ImportJob

    job = ImportJob(user_id=people["office_lead"].id, filename="a.csv", token="0" * 32,
                    state="done", result={}, options={})
    session.add(job)
    session.commit()
    auth.login(make_user("office_lead"))
    assert auth.client.get(f"/data/import/jobs/{job.id}").status_code == 404
    assert auth.client.get("/data/import/jobs/999999").status_code == 404


@pytest.mark.parametrize(("language", "message"), [
    ("ja", "シートの大きさ（1,048,576行×16,384列）が上限"),
    ("en", "The sheet declares 1,048,576 rows x 16,384 columns"),
])
def test_a_hostile_workbook_is_refused_on_the_page(auth, make_user, session, language, message):
    from tests.test_import_limits import workbook

    auth.login(make_user("office_lead", language=language))
    page = upload(auth, workbook(dimension="A1:XFD1048576"), name="一覧.xlsx")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and message in html
    assert cases(session) == []


def test_a_job_whose_process_died_stops_reloading(auth, people, session):
    from datetime import timedelta

    from web.data.jobs import ABANDONED_AFTER
    from workflow.models import ImportJob, utcnow

    long_ago = utcnow() - ABANDONED_AFTER - timedelta(minutes=1)
    job = ImportJob(user_id=people["office_lead"].id, filename="取組一覧.csv", token="0" * 32,
                    state="running", options={}, created_at=long_ago, updated_at=long_ago)
    session.add(job)
    session.commit()
    auth.login(people["office_lead"])
    page = auth.client.get(f"/data/import/jobs/{job.id}").get_data(as_text=True)
    assert "取り込みが途中で止まりました" in page and 'http-equiv="refresh"' not in page
    session.expire_all()
    assert session.get(ImportJob, job.id).state == "failed"
