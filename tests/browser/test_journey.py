"""The whole journey of one consultation across roles, through the real UI only.

A requester of the Welfare Bureau submits a consultation; the Digital Office accepts it from
the triage queue and writes a proposal citing a similar past case; the bureau manager says
go from 判断待ち; the requester and the office walk planning in the plan editor; the manager
approves the plan; the office runs the PoC and the roll-out and goes live; the case ends in
KPI review with a review obligation on the case page and on the manager's KPI評価 page.

Nothing is written to the database directly except the accounts (and, as background, one
finished case of another bureau to cite); every step asserts what the person sees.
"""

from __future__ import annotations

import importlib.util
import re

import pytest

from tests.browser import a11y
from tests.support import running_in_ci
from workflow.fiscal import fiscal_year
from workflow.models import utcnow

if importlib.util.find_spec("playwright") is None:
    MISSING = "Playwright for Python is not installed (pip install -e '.[test]')"
    if running_in_ci():
        pytest.fail(MISSING, pytrace=False)
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.browser

TITLE = "介護保険の要介護認定申請のオンライン化"
DESCRIPTION = ("要介護認定の申請書を区役所の窓口と郵送で受け付けており、"
               "職員が基幹システムへ手入力している。")
PROBLEM = "申請書の入力に1件あたり約15分かかり、繁忙期には審査の開始が2週間ほど遅れる。"
OUTCOME = "市民が来庁せずにスマートフォンから申請でき、職員の入力作業がなくなる。"
PROPOSAL = ("### 提案\n- 大阪市行政オンラインシステムで申請フォームを作成します\n"
            "- 基幹システムへの取込みはCSV連携で自動化します\n")
PAST_TITLE = "区役所窓口の申請手続のオンライン化"
AS_IS = "申請の8割が紙で届き、職員3名が1件15分かけて基幹システムへ入力している。"
TO_BE = "オンライン申請を標準とし、申請データを基幹システムへ自動で取り込む。"
KGI = "2030年度までに要介護認定の申請の80%がオンラインで完結している"
KPI_NAME = "オンラインで受け付けた要介護認定申請の割合"


# --- what a person sees ------------------------------------------------------------------


def expect_flash(page: Page, text: str) -> None:
    """A success message containing ``text``, and no error message beside it."""
    expect(page.locator(".flashes .flash-success", has_text=text)).to_be_visible()
    expect(page.locator(".flashes .flash-error")).to_have_count(0)
    a11y.audit(page)  # every page a step lands on passes axe


def expect_state(page: Page, label: str) -> None:
    """The case's state badge in the page head (e.g. 企画・BPR：現状分析（As-Is）)."""
    expect(page.locator(".page-head .actions .badge").first).to_have_text(label)


def expect_step(page: Page, phase: str, done: int) -> None:
    """The case page's step bar: ``phase`` is current, with ``done`` phases before it done."""
    bar = page.locator("ol.stepbar").first
    expect(bar.locator("li[aria-current=step]")).to_contain_text(phase)
    expect(bar.locator("li.done")).to_have_count(done)


def fired(action: str, state: str) -> str:
    return f"「{action}」を実行しました。現在の状態：{state}"


def decide(page: Page, name: str, *, comment: str = "") -> None:
    """Open a decision's confirm panel in #actions (and write the optional comment)."""
    page.locator("#actions summary", has_text=name).click()
    if comment:
        page.locator("#actions details[open] textarea[name=comment]").fill(comment)


def press(page: Page, name: str, *, within: str = "main") -> None:
    page.locator(within).get_by_role("button", name=name, exact=True).click()


# --- the journey ---------------------------------------------------------------------------


def test_consultation_to_kpi_review_across_roles(as_role):
    requester, office, manager = as_role("requester"), as_role("office"), as_role("dept_manager")

    # 1. The requester fills in the consultation form in Japanese and submits it.
    page = requester.goto("/cases/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("新しい相談（DX相談票）")
    page.get_by_label("件名", exact=True).fill(TITLE)
    page.get_by_label("相談の種類", exact=True).select_option("dx_project")
    page.get_by_label("優先度", exact=True).select_option("high")
    page.get_by_label("分類（DX戦略の柱）", exact=True).select_option("service")
    page.get_by_label("サービス", exact=True).check()
    page.get_by_label("やさしさ", exact=True).check()
    page.get_by_label("相談内容", exact=True).fill(DESCRIPTION)
    page.get_by_label("現在の課題", exact=True).fill(PROBLEM)
    page.get_by_label("目指す姿・期待する効果", exact=True).fill(OUTCOME)
    press(page, "保存して提出")
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    case_path = page.url.removeprefix(requester.server.url)
    expect_flash(page, "相談を提出しました。デジタル統括室が内容を確認します。")
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect_state(page, "相談：受付待ち")
    expect_step(page, "相談", done=0)
    expect(page.locator("ol.stepbar li[aria-current=step] small")).to_have_text("受付待ち")
    number = page.locator(".page-head .meta").inner_text().split(" · ")[0].strip()
    assert re.fullmatch(r"[A-Z]+-\d{4}-\d{4}", number), number
    requester.screenshot("journey-01-submitted")
    requester.assert_clean()

    # 2. The office opens it on the triage desk, beside the queue, sees the similar finished
    #    case, accepts it with itself in charge and sends the proposal citing that case: all
    #    on the one page the triage menu opened (the desk swaps in place, no page load).
    page = office.goto("/office/triage")
    office.navigations.clear()
    item = page.locator("li.triage-item", has_text=TITLE)
    expect(item).to_have_count(1)
    expect(item.locator(".waiting .badge")).to_have_text("本日提出")
    item.get_by_role("link", name=TITLE).click()
    panel = page.locator("#desk-panel")
    expect(panel.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(panel).to_contain_text(PROBLEM)
    office.audit()
    similar = panel.locator("#similar .similar-list li", has_text=PAST_TITLE)
    expect(similar).to_have_count(1)
    expect(similar.locator(".badge.other-case")).to_contain_text("その事例")
    past_number = similar.locator(".meta").inner_text().split(" · ")[0].strip()
    panel.get_by_label("担当者").select_option(label=office.account.name)
    text = panel.get_by_label("提案内容（Markdown可）")
    text.fill(PROPOSAL)
    similar.get_by_role("button", name=f"{past_number} を提案に引用").click()
    expect(similar.get_by_role("button", name=f"{past_number} を提案に引用")).to_have_text(
        "引用しました")
    expect(text).to_have_value(re.compile(re.escape(f"- 参考：{past_number} {PAST_TITLE}")))
    # The draft saved itself meanwhile.
    expect(panel.locator("[data-draft-status]")).to_have_text("下書きを自動保存しました。")
    office.screenshot("triage-desk")
    panel.get_by_role("button", name="受け付けて提案を送る").click()
    expect_flash(page, f"{number} を受け付けて提案を送りました（担当：{office.account.name}）。")
    done = page.locator(".desk-done")
    expect(done).to_contain_text("部局での検討")
    expect(page.locator("li.triage-item", has_text=TITLE)).to_have_count(0)
    office.audit()
    assert office.navigations == [], office.navigations  # accept + propose: no page load
    office.assert_clean()

    # 3. The case page shows the proposal the bureau now studies.
    done.get_by_role("link", name="案件を開く").click()
    page.wait_for_url(re.compile(re.escape(case_path) + "$"))
    office.audit()
    expect_state(page, "相談：部局での検討")
    in_charge = page.locator("dt", has_text="統括室担当").locator("xpath=following-sibling::dd[1]")
    expect(in_charge).to_have_text(office.account.name)
    expect(page.locator("#proposal .markdown")).to_contain_text(past_number)
    expect(page.locator("#proposal .markdown li").first).to_have_text(
        "大阪市行政オンラインシステムで申請フォームを作成します")
    office.assert_clean()

    # 4. The bureau manager finds it under 判断待ち and says go, from the confirm panel that
    #    shows the proposal: two screens (My tasks, the case).
    page = manager.goto("/tasks/")
    manager.navigations.clear()
    decision = page.locator("section.decisions tr", has_text=TITLE)
    expect(decision).to_have_count(1)
    manager.screenshot("journey-04-manager-decision")
    decision.locator("a.task-action").click()
    page.wait_for_url(re.compile(re.escape(case_path) + "#proposal$"))
    manager.audit()
    expect(page.locator("#proposal .markdown")).to_contain_text("CSV連携")
    decide(page, "DX取組として進める", comment="進めます。")
    expect(page.locator("#confirm-decide_go .decision-proposal")).to_contain_text("CSV連携")
    assert len(manager.navigations) == 1, manager.navigations  # /tasks/ was the first screen
    press(page, "DX取組として進める", within="#confirm-decide_go")
    expect_flash(page, fired("DX取組として進める", "企画・BPR：現状分析（As-Is）"))
    expect_step(page, "企画・BPR", done=1)
    expect(page.locator("section.decisions tr", has_text=TITLE)).to_have_count(0)
    manager.assert_clean()

    # 5. The requester walks planning: as-is notes → finish, to-be notes → finish.
    page = requester.goto(case_path)
    expect_state(page, "企画・BPR：現状分析（As-Is）")
    page.locator("#plan").get_by_role("link", name="計画を開く").click()
    page.wait_for_url(re.compile(r"/plan$"))
    plan_path = page.url.removeprefix(requester.server.url)
    expect(page.locator("#progress li[aria-current=step]")).to_have_text("現状分析（As-Is）")
    page.get_by_label("現状（As-Is）", exact=True).fill(AS_IS)
    press(page, "保存", within="#as-is")
    expect_flash(page, "実行計画を保存しました。")
    expect(page.locator("#progress .ready-note")).to_contain_text("現状分析を完了して")
    press(page, "現状分析を完了", within="#progress")
    expect_flash(page, fired("現状分析を完了", "企画・BPR：あるべき姿（To-Be）"))
    page.wait_for_url(re.compile(re.escape(plan_path) + "$"))
    expect(page.locator("#progress li[aria-current=step]")).to_have_text("あるべき姿（To-Be）")
    expect(page.locator("#progress li.done")).to_have_count(1)
    page.get_by_label("あるべき姿（To-Be）", exact=True).fill(TO_BE)
    press(page, "保存", within="#to-be")
    expect_flash(page, "実行計画を保存しました。")
    press(page, "あるべき姿を完了", within="#progress")
    expect_flash(page, fired("あるべき姿を完了", "企画・BPR：実行計画の作成"))
    expect(page.locator("#progress li[aria-current=step]")).to_have_text("実行計画の作成")
    requester.assert_clean()

    # 6. The office completes the plan: KGI, the security checklist, a KPI with a baseline and
    #    a target for this fiscal year; the blocking reasons go away and the plan is submitted.
    this_fy = fiscal_year(utcnow())
    page = office.goto(plan_path)
    reasons = page.locator("#progress [data-plan-reasons]")
    expect(reasons).to_be_visible()
    expect(page.locator("#progress button", has_text="実行計画を承認申請")).to_be_disabled()
    page.get_by_label("KGI（2030年の目標）", exact=True).fill(KGI)
    answers = page.locator("#security fieldset.answers")
    assert answers.count() == 5
    for i in range(answers.count()):
        answers.nth(i).get_by_label("はい", exact=True).check()
    press(page, "保存", within="#kgi-section")
    expect_flash(page, "実行計画を保存しました。")
    expect(page.locator("#security .badge", has_text="未回答")).to_have_count(0)
    add = page.locator("#kpi-add")
    add.get_by_label("KPI名", exact=True).fill(KPI_NAME)
    add.get_by_label("単位", exact=True).fill("%")
    add.get_by_label("方向", exact=True).select_option("increase")
    add.get_by_label("基準値", exact=True).fill("12")
    add.get_by_label("基準値の時点", exact=True).fill(f"{this_fy - 1}年度実績")
    add.get_by_label(f"{this_fy}年度", exact=True).fill("30")
    add.get_by_role("button", name="KPIを追加").click()
    expect_flash(page, f"KPI「{KPI_NAME}」を保存しました。")
    row = page.locator("table.kpi-table tbody tr[id^=kpi-]", has_text=KPI_NAME)
    expect(row.locator("td").nth(2)).to_contain_text(f"12{this_fy - 1}年度実績")
    expect(row.locator("td").nth(3)).to_have_text("30")  # the first year column: this FY
    expect(page.locator("#progress [data-ready-note]")).to_have_text("承認申請できます")
    office.screenshot("journey-05-plan-ready")
    press(page, "実行計画を承認申請", within="#progress")
    expect_flash(page, fired("実行計画を承認申請", "企画・BPR：実行計画の承認待ち"))
    expect(page.locator("#progress li[aria-current=step]")).to_have_text("実行計画の承認待ち")
    office.assert_clean()

    # 7. The manager approves the plan from 判断待ち.
    page = manager.goto("/tasks/")
    approval = page.locator("section.decisions tr", has_text=TITLE)
    expect(approval).to_have_count(1)
    manager.navigations.clear()
    approval.locator("a.task-action").click()
    page.wait_for_url(re.compile(re.escape(case_path) + "#actions$"))
    manager.audit()
    decide(page, "実行計画を承認")
    panel = page.locator("#confirm-approve_plan")
    expect(panel.locator(".decision-summary")).to_contain_text(KGI)
    expect(panel.locator(".decision-summary")).to_contain_text(KPI_NAME)
    manager.screenshot("journey-07-approve-panel", full_page=False)
    assert len(manager.navigations) == 1, manager.navigations
    press(page, "実行計画を承認", within="#confirm-approve_plan")
    expect_flash(page, fired("実行計画を承認", "ソリューション導入：選定・調達"))
    expect_step(page, "ソリューション導入", done=2)
    manager.assert_clean()

    # 8. The office runs the PoC, rolls out and goes live.
    page = office.goto(case_path)
    for action, state in (("実証を開始", "ソリューション導入：実証（PoC）"),
                          ("導入を開始", "ソリューション導入：導入・横展開"),
                          ("運用開始（KPI評価へ）", "KPI評価：KPIモニタリング")):
        press(page, action, within="#actions")
        expect_flash(page, fired(action, state))
        expect_state(page, state)
    expect_step(page, "KPI評価", done=3)

    # 9. The case is in KPI review, with this year's review due, on the case page ...
    review_row = page.locator("#reviews tbody tr", has_text=f"{this_fy}年度")
    expect(review_row).to_have_count(1)
    expect(review_row.locator(".badge")).to_have_text("未提出")
    office.screenshot("journey-06-kpi-review")
    office.assert_clean()

    # ... and on the manager's KPI評価 page, ready to be filled in.
    page = manager.goto("/reviews/")
    mine = page.locator("table.list tbody tr", has_text=f"{number} {TITLE}")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(f"{this_fy}年度")
    expect(mine.get_by_role("link", name="評価する")).to_be_visible()
    manager.screenshot("journey-07-manager-reviews")
    manager.assert_clean()

    # The requester's list shows where the case stands now.
    page = requester.goto("/cases/")
    listed = page.locator("table.list tbody tr", has_text=TITLE)
    expect(listed.locator(".badge")).to_have_text("KPI評価：KPIモニタリング")
    expect(listed).to_contain_text(office.account.name)
    requester.assert_clean()
