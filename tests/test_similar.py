"""Similar past cases for a proposal: Japanese keywords, closed ones first, same category."""

from __future__ import annotations

from tests.workflow_helpers import NOW, new_case, walk_to
from workflow.queries.similar import similar_cases, tokens


def make_case(session, people, state, title, description, category="service"):
    case = new_case(session, people["requester"], title=title, description=description,
                    category=category)
    if state != "draft":
        walk_to(session, case, state, people, NOW)
    return case


def titles(found) -> list[str]:
    return [s.case.title for s in found]


def test_tokens_are_japanese_bigrams_without_grammar():
    assert tokens("申請書を電子化する") == ["申請", "請書", "電子", "子化"]
    assert tokens("ＡＩチャットの導入") == ["ai", "チャ", "ャッ", "ット", "導入"]
    assert tokens("2025年度の予算") == ["年度", "予算"]
    assert tokens("する、ている。") == []
    assert tokens(None) == []


def test_closed_cases_come_first_then_by_score(session, people):
    case = make_case(session, people, "consultation_hearing", "保育所入所申請の電子化",
                     "保育所の入所申請を電子申請にしたい")
    open_close_match = make_case(session, people, "planning_as_is", "保育所入所申請の電子化の検討",
                                 "保育所の入所申請を電子申請にする")
    closed_weaker = make_case(session, people, "closed_withdrawn", "保育所の見学予約",
                              "保育所見学を予約できるようにする")
    closed_stronger = make_case(session, people, "closed_rejected", "保育所入所申請のオンライン化",
                                "入所申請の電子申請")
    loosely = make_case(session, people, "consultation_submitted", "道路占用許可の電子化",
                        "道路の占用許可申請")  # shares only 申請・電子化, a different subject

    found = similar_cases(session, case)

    names = titles(found)
    assert names[:2] == [closed_stronger.title, closed_weaker.title]
    assert names.index(open_close_match.title) == 2
    assert all(s.closed for s in found[:2]) and not found[2].closed
    assert found[0].score > found[1].score
    assert names[-1] == loosely.title and found[-1].score < found[2].score


def test_same_category_ranks_higher(session, people):
    case = make_case(session, people, "consultation_hearing", "窓口予約システムの導入",
                     "区役所窓口の予約", category="service")
    same = make_case(session, people, "planning_as_is", "窓口予約システム導入", "来庁予約",
                     category="service")
    other = make_case(session, people, "planning_as_is", "窓口予約システム導入", "来庁予約",
                      category="administration")

    found = similar_cases(session, case)

    assert titles(found) == [same.title, other.title]
    assert found[0].score > found[1].score


def test_excludes_the_case_itself_drafts_and_unrelated_cases(session, people):
    case = make_case(session, people, "consultation_hearing", "介護保険の認定事務の効率化",
                     "要介護認定の審査資料を電子化")
    make_case(session, people, "draft", "介護保険の認定事務の効率化", "下書きのまま")
    make_case(session, people, "consultation_submitted", "公園の樹木管理", "樹木台帳を作る")

    assert similar_cases(session, case) == []


def test_respects_what_the_viewer_may_see(session, people, make_user):
    finance = {**people, "requester": make_user("requester", "finance"),
               "dept_manager": make_user("dept_manager", "finance")}
    case = make_case(session, people, "consultation_hearing", "会計伝票の電子決裁",
                     "会計伝票を電子決裁にする")
    other_bureau = make_case(session, finance, "closed_withdrawn", "会計伝票の電子決裁導入",
                             "伝票の電子決裁")

    assert titles(similar_cases(session, case, viewer=people["office"])) == [other_bureau.title]
    assert similar_cases(session, case, viewer=people["requester"]) == []
    assert similar_cases(session, case, viewer=[people["requester"], people["office"]])


def test_limit(session, people):
    case = make_case(session, people, "consultation_hearing", "窓口予約システム", "窓口予約")
    for i in range(4):
        make_case(session, people, "consultation_submitted", f"窓口予約システム{i}", "窓口予約")
    assert len(similar_cases(session, case, limit=3)) == 3
