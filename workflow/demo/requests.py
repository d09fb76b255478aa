"""New consultations the bureaus have just brought, and the words people write along the way."""

from __future__ import annotations

from decimal import Decimal

from workflow.demo.stories import WINDOWS, Story
from workflow.plans import KpiInput


def _request(key: str, department: str, target: str, days_ago: int, **fields) -> Story:
    fields.setdefault("case_type", "dx_project")
    fields.setdefault("priority", "normal")
    return Story(key=key, department=department, fields=fields, target=target,
                 start_window=WINDOWS["consultation"], days_ago=days_ago)


def new_consultations(fy: int) -> list[Story]:
    """Requests written as bureau staff write them; ``fy`` is the current fiscal year."""
    stories = [
        _request(
            "REQ-fukushi-kaigo", "福祉局", "consultation_submitted", 12,
            title="介護保険の申請書類を電子化したい", category="service",
            values=["service", "yasashisa"],
            description="要介護認定の申請書や各種届出は紙で提出いただき、区の窓口で受け付けた後に福祉局で"
                        "入力しています。オンラインで申請できる仕組みと、受付後の入力作業の削減について"
                        "相談したいです。",
            current_problem="年間約9万件の申請書を職員が手入力しており、繁忙期には入力待ちが2週間ほど"
                            "発生している。ご家族やケアマネジャーにも来庁・郵送の負担がかかっている。",
            desired_outcome="ケアマネジャーやご家族がオンラインで申請でき、受付データがそのまま介護保険"
                            "システムに取り込まれる状態。入力作業を半減させたい。",
        ),
        _request(
            "REQ-fukushi-seiho", "福祉局", "draft", 3,
            title="生活保護のケース記録をタブレットで入力したい", category="administration",
            description="家庭訪問の内容を帰庁後に手書きメモから入力しているため、訪問先でタブレットに"
                        "記録できないか相談したい。",
        ),
        _request(
            "REQ-fukushi-kyufu", "福祉局", "consultation_hearing", 9,
            title="物価高騰対策の給付金の受付体制を急ぎ整えたい", case_type="urgent_support",
            priority="urgent", category="service", values=["anshin"],
            description="国の経済対策で新たな給付金の支給が決まりました。約20万世帯への案内と申請受付を"
                        "2か月以内に始める必要があり、オンライン申請とコールセンターの体制を急ぎ相談したい"
                        "です。",
            current_problem="前回の給付金では紙の申請が中心で、審査と入力に延べ1万時間以上かかった。",
            desired_outcome="対象世帯の大半がオンラインで申請でき、支給までの期間を前回の半分にする。",
        ),
        _request(
            "REQ-kodomo-ichiji", "こども青少年局", "consultation_proposing", 26,
            title="一時保育の予約を電話からWebに切り替えたい", category="service",
            values=["service", "yasashisa"],
            description="一時保育の予約は各施設への電話のみで受け付けています。空き状況の確認と予約を"
                        "Webでできるようにしたいです。",
            current_problem="受付時間内に電話がつながらないとの声が多く、施設職員も電話対応に追われている。",
            desired_outcome="保護者が24時間いつでも空き状況を確認して予約でき、施設の電話対応が減る状態。",
        ),
        _request(
            "REQ-kodomo-tensu", "こども青少年局", "sent_back", 15,
            title="保育所入所選考の点数計算を自動化したい", category="administration",
            description="入所選考の利用調整指数の計算を表計算ソフトで行っており、確認作業の負担が大きい。",
            current_problem="4月入所の選考時期に、区の担当者が手作業で指数を計算・二重確認している。",
            desired_outcome="申請データから指数が自動で計算され、確認作業が減る状態。",
        ),
        _request(
            "REQ-shimin-konzatsu", "市民局", "consultation_study", 40,
            title="区役所窓口の混雑状況をスマホで確認できるようにしたい",
            case_type="ict_consultation", category="service", values=["service"],
            description="住民情報の窓口の待ち人数を、来庁前にスマートフォンで確認できるようにしたい。",
            current_problem="年度末・年度初めは待ち時間が2時間を超える日があり、苦情も多い。",
            desired_outcome="来庁前に混雑状況がわかり、空いている時間に来庁していただける状態。",
        ),
        _request(
            "REQ-shimin-poster", "市民局", "closed_rejected", 20,
            title="イベント告知ポスターのデザインを作成してほしい", case_type="ict_consultation",
            description="秋の区民まつりの告知ポスターを作成してほしい。",
            current_problem="デザインに詳しい職員がいない。",
            desired_outcome="見やすいポスターを掲示したい。",
        ),
        _request(
            "REQ-kensetsu-senyo", "建設局", "consultation_submitted", 6,
            title="道路占用許可の申請をオンライン化したい", category="city", values=["shigoto"],
            description="道路占用許可の申請は窓口と郵送のみで、図面の差し替えのたびに来庁いただいています。"
                        "電子申請と図面のやり取りをオンラインでできるようにしたいです。",
            current_problem="年間約1万2千件の申請のうち、約3割で図面の修正のための再来庁が発生している。",
            desired_outcome="事業者が来庁せずに申請・補正でき、審査期間が短くなる状態。",
        ),
        _request(
            "REQ-kita-chatbot", "北区", "consultation_submitted", 2,
            title="区民からの問い合わせにチャットボットで24時間対応したい",
            case_type="ict_consultation", category="service", values=["service", "tsunagari"],
            description="ごみの出し方や証明書の取り方など、よくある問い合わせにチャットボットで答えたい。",
            current_problem="電話の問い合わせの約4割が、区のホームページに載っている内容である。",
            desired_outcome="よくある質問は時間を問わず自動で回答し、職員は個別の相談に集中できる状態。",
        ),
        _request(
            "REQ-kita-koho", "北区", "draft", 1,
            title="区の広報紙をLINEでも配信したい", category="service",
            description="毎月の区広報紙を、LINEで記事ごとに配信できないか検討しています。",
        ),
    ]
    paperless = _request(
        "REQ-fukushi-shinsa", "福祉局", "planning_approval", 330,
        title="介護認定審査会の資料をペーパーレス化したい", category="administration",
        values=["shigoto"],
        description="介護認定審査会の資料を毎回印刷して委員に郵送しています。タブレットでの閲覧に"
                    "切り替えたいです。",
        current_problem="審査会資料の印刷・封入・郵送に年間約9,600時間かかっている。",
        desired_outcome="資料をタブレットで配布し、印刷と郵送の作業をなくす。",
    )
    paperless.start_window = WINDOWS["planning"]
    paperless.days_ago = None
    paperless.plan = {
        "kgi": "2030年度までに介護認定審査会の資料を完全に電子化し、"
               "審査会の準備にかかる時間を半減する。",
        "kgi_note": "", "outcome": "委員・職員の負担軽減と、認定までの期間短縮。",
        "as_is_notes": "【現状（As-Is）】\n資料は約120万枚/年を印刷し、"
                       "封入・郵送は会計年度任用職員が担っている。",
        "to_be_notes": "【あるべき姿（To-Be）】\n委員はタブレットで資料を閲覧し、"
                       "意見はシステム上で記録する。",
    }
    paperless.kpis = [
        KpiInput(name="審査会資料の印刷枚数", unit="枚", direction="decrease",
                 baseline=Decimal(1_200_000), baseline_label=f"{fy - 1}年度実績",
                 targets={fy: Decimal(600_000), fy + 1: Decimal(0)}),
        KpiInput(name="審査会の準備にかかる職員の作業時間", unit="時間", direction="decrease",
                 baseline=Decimal(9_600), baseline_label=f"{fy - 1}年度実績",
                 targets={fy: Decimal(6_000), fy + 1: Decimal(4_800)}),
    ]
    paperless.flags.add("expert")
    return [*stories, paperless]


# Comments posted along the way: stage -> (author role, body). Experts write only on the
# cases they support; the office logs an outside adviser's advice as kind "advice".
COMMENTS = {
    "hearing": (
        ("office", "ヒアリングありがとうございました。"
                   "現行の業務フロー図と、月別の処理件数を共有いただけますか。"),
        ("requester", "業務フロー図と昨年度の件数をまとめた資料を用意しました。"
                      "ご確認をお願いします。"),
    ),
    "study": (
        ("dept_manager", "提案内容を課内で検討しています。"
                         "予算要求のスケジュールとあわせて来週中に回答します。"),
    ),
    "planning": (
        ("office", "To-Beの業務フロー案を共有フォルダに置きました。"
                   "窓口での本人確認の扱いについてご意見ください。"),
        ("requester", "To-Be案を課内で確認しました。"
                      "審査の工程は現行どおり残す方向で進めたいと考えています。"),
    ),
    "expert": (
        "他都市では、申請項目を半分程度に絞り込んでからオンライン化した事例があります。"
        "As-Isの段階で入力項目の棚卸しをおすすめします。",
        "KPIは件数だけでなく、利用者の所要時間も測れるようにしておくと効果を説明しやすくなります。",
    ),
    "solution": (
        ("office", "実証の結果、1件あたりの処理時間が平均8分短縮されました。"
                   "横展開に向けて説明会を予定しています。"),
        ("requester", "調達仕様書の案を作成しました。"
                      "セキュリティ要件の書き方についてご確認をお願いします。"),
    ),
    "review": (
        ("dept_manager", "今年度の実績は目標をやや下回る見込みです。周知の方法を見直します。"),
    ),
}
ADVICE = ("【外部有識者の助言（DX推進アドバイザー会議）】利用者が途中で離脱しやすい画面を計測し、"
          "改善の効果をKPIとあわせて確認してください。")

# Comments the transitions require.
TRANSITION_COMMENTS = {
    "hold": "実証機器の調達が年度をまたぐため、予算措置の見通しが立つまで一時保留とします。",
    "decide_no": "今年度は国の標準化対応を優先するため、本件の実施は見送ります。"
                 "来年度に改めて相談します。",
    "withdraw": "組織改編により所管業務が変わったため、本取組は取り下げます。",
    "improve": "KPIの実績が目標を下回ったため、利用者アンケートの結果を踏まえてTo-Beを見直します。",
    "reject": "ポスター等のデザイン制作はデジタル統括室の支援対象外です。"
              "政策企画室（広報担当）にご相談ください。",
    "send_back": "対象となる申請の年間件数と、現在の1件あたりの作業時間を追記のうえ、"
                 "再度提出してください。",
    "ask_revision": "概算費用と、他局での導入実績を提案に追記してください。",
}

REVIEW_TEXTS = {
    "achieved": ("目標を達成した。", "利用状況を見ながら、他の手続きへの横展開を検討する。"),
    "on_track": ("概ね計画どおり進んでいる。", "次年度の目標に向けて、現在の取組を継続する。"),
    "behind": ("目標を下回った。周知不足と手続きの分かりにくさが主な要因と考えられる。",
               "利用者アンケートを実施し、案内方法と画面の改善を行う。"),
}
