"""Controlled vocabularies of a case, with their Japanese and English labels."""

from __future__ import annotations

CASE_TYPES = {
    "dx_project": ("DX取組", "DX project"),
    "ict_consultation": ("ICT相談", "ICT consultation"),
    "feasibility_study": ("実現可能性調査", "Feasibility study"),
    "urgent_support": ("緊急支援", "Urgent support"),
    "maintenance_check": ("システム保守経費の点検", "System maintenance cost check"),
    "security_consultation": ("セキュリティ相談", "Security consultation"),
}

PRIORITIES = {
    "low": ("低", "Low"),
    "normal": ("通常", "Normal"),
    "high": ("高", "High"),
    "urgent": ("緊急", "Urgent"),
}

CATEGORIES = {
    "service": ("サービスDX", "Service DX"),
    "city": ("都市・まちDX", "City DX"),
    "administration": ("行政DX", "Administrative DX"),
    "foundation": ("DXを推進する仕組みづくり", "Foundations for DX"),
}

VALUES = {
    "service": ("サービス", "Service"),
    "anshin": ("あんしん", "Safety"),
    "tsunagari": ("つながり", "Connection"),
    "nigiwai": ("にぎわい", "Vibrancy"),
    "yasashisa": ("やさしさ", "Kindness"),
    "shigoto": ("しごと", "Work"),
}

SUPPORTER_KINDS = {
    "office": ("デジタル統括室", "Digital Office"),
    "consultant": ("コンサルティング事業者", "Consulting firm"),
    "expert": ("外部専門人材", "External expert"),
    "adviser": ("外部有識者", "Outside adviser"),
}

KPI_DIRECTIONS = {
    "increase": ("増やす", "Increase"),
    "decrease": ("減らす", "Decrease"),
}

ASSESSMENTS = {
    "achieved": ("達成", "Achieved"),
    "on_track": ("順調", "On track"),
    "behind": ("遅れ", "Behind"),
    "not_measurable": ("測定不能", "Not measurable"),
}

# Planning-stage security checklist (security by design starts at planning, DOMAIN.md).
SECURITY_CHECKLIST = {
    "personal_data": ("個人情報を取り扱うか確認した", "Checked whether personal data is handled"),
    "data_classification": ("情報資産の機密性を分類した", "Classified the information assets"),
    "cloud_policy": ("クラウド利用の基準を確認した", "Checked the cloud usage policy"),
    "access_control": ("アクセス権限の設計方針を決めた", "Decided the access-control design"),
    "vendor_requirements": (
        "委託先のセキュリティ要件を定めた",
        "Defined the security requirements for contractors",
    ),
}
SECURITY_ANSWERS = ("yes", "no", "not_applicable")


def label(vocabulary: dict[str, tuple[str, str]], key: str | None, lang: str = "ja") -> str:
    """The label of ``key`` in ``lang``; the key itself when unknown (old data stays readable)."""
    if key is None:
        return ""
    pair = vocabulary.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]
