"""What each notification says, in Japanese and English, chosen by the recipient's language."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.fiscal import fiscal_year_label, format_date

# reason -> {lang: (subject, body)}; bodies are plain text with {placeholders}.
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "review_due_soon": {
        "ja": ("【dxflow】KPI評価の期限が近づいています：{number} {title}",
               "{name} 様\n\n{number}「{title}」の{fy}のKPI評価の期限は{due}です。\n"
               "実績値を入力し、評価を提出してください。\n\n{url}\n"),
        "en": ("[dxflow] KPI review due soon: {number} {title}",
               "Dear {name},\n\nThe {fy} KPI review of {number} \"{title}\" is due on {due}.\n"
               "Please enter the actuals and submit the review.\n\n{url}\n"),
    },
    "review_due": {
        "ja": ("【dxflow】本日がKPI評価の期限です：{number} {title}",
               "{name} 様\n\n{number}「{title}」の{fy}のKPI評価は本日{due}が期限です。\n\n{url}\n"),
        "en": ("[dxflow] KPI review due today: {number} {title}",
               "Dear {name},\n\nThe {fy} KPI review of {number} \"{title}\" is due today "
               "({due}).\n\n{url}\n"),
    },
    "review_overdue": {
        "ja": ("【dxflow】KPI評価が期限を過ぎています：{number} {title}",
               "{name} 様\n\n{number}「{title}」の{fy}のKPI評価は"
               "期限（{due}）を{days}営業日過ぎています。\n"
               "早めの提出をお願いします。\n\n{url}\n"),
        "en": ("[dxflow] KPI review overdue: {number} {title}",
               "Dear {name},\n\nThe {fy} KPI review of {number} \"{title}\" is {days} "
               "business days past its due date ({due}).\n\n{url}\n"),
    },
    "review_escalation": {
        "ja": ("【dxflow】KPI評価の遅延（エスカレーション）：{number} {title}",
               "{name} 様\n\n{department}の{number}「{title}」の{fy}のKPI評価が、期限（{due}）から"
               "{days}営業日経過しても提出されていません（担当：{owner}）。\n\n{url}\n"),
        "en": ("[dxflow] Escalation: overdue KPI review {number} {title}",
               "Dear {name},\n\nThe {fy} KPI review of {number} \"{title}\" ({department}) is "
               "{days} business days overdue (due {due}, owner {owner}).\n\n{url}\n"),
    },
    "triage_stale": {
        "ja": ("【dxflow】受付待ちの相談があります：{number} {title}",
               "{name} 様\n\n{department}からの相談 {number}「{title}」が"
               "{days}営業日受付されていません。\n\n{url}\n"),
        "en": ("[dxflow] Consultation waiting for triage: {number} {title}",
               "Dear {name},\n\nThe consultation {number} \"{title}\" from {department} has waited "
               "{days} business days for triage.\n\n{url}\n"),
    },
    "decision_stale": {
        "ja": ("【dxflow】提案へのご判断をお願いします：{number} {title}",
               "{name} 様\n\nデジタル統括室からの提案（{number}「{title}」）が"
               "{days}営業日ご判断待ちです。\n\n{url}\n"),
        "en": ("[dxflow] A proposal awaits your decision: {number} {title}",
               "Dear {name},\n\nThe Digital Office's proposal for {number} \"{title}\" has waited "
               "{days} business days for your decision.\n\n{url}\n"),
    },
    "login_locked": {
        "ja": ("【dxflow】ログインを一時的にロックしました",
               "{name} 様\n\n接続元 {source} から、あなたのアカウントへの"
               "ログインに続けて失敗したため、"
               "この接続元からのログインを{minutes}分間ロックしました。\n"
               "ほかの端末・接続元からは通常どおりログインできます。\n"
               "心当たりがない場合は、パスワードを変更し、システム管理者に連絡してください。\n\n{url}\n"),
        "en": ("[dxflow] Sign-in temporarily locked",
               "Dear {name},\n\nAfter repeated failed sign-ins to your account from {source}, "
               "sign-in from that address is locked for {minutes} minutes.\n"
               "You can still sign in from other devices and addresses.\n"
               "If this was not you, change your password and tell your administrator.\n\n{url}\n"),
    },
    "transition": {
        "ja": ("【dxflow】{number} {title}：{action}",
               "{name} 様\n\n{actor}さんが{number}「{title}」で「{action}」を行いました。\n"
               "現在の状態：{state}\n{comment}\n{url}\n"),
        "en": ("[dxflow] {number} {title}: {action}",
               "Dear {name},\n\n{actor} did \"{action}\" on {number} \"{title}\".\n"
               "Current state: {state}\n{comment}\n{url}\n"),
    },
}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def render(reason: str, lang: str, **values) -> Message:
    lang = "en" if lang == "en" else "ja"
    if "due" in values and hasattr(values["due"], "year"):
        values["due"] = format_date(values["due"], lang)
    if isinstance(values.get("fy"), int):
        values["fy"] = fiscal_year_label(values["fy"], lang)
    subject, body = TEMPLATES[reason][lang]
    return Message(subject.format(**values)[:300], body.format(**values))
