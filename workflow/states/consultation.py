"""相談: a bureau brings a case; the office hears it, proposes, and the bureau studies the
proposal."""

from .base import Phase, transition
from .guards import proposal_present, required_fields

DRAFT = Phase("draft", "下書き", "Draft", {}, ())

CONSULTATION = Phase(
    "consultation",
    "相談",
    "Consultation",
    {
        "submitted": ("受付待ち", "Submitted"),
        "hearing": ("ヒアリング", "Hearing"),
        "proposing": ("提案作成", "Preparing proposal"),
        "study": ("部局での検討", "Bureau study"),
    },
    (
        transition("submit", "draft", "consultation_submitted", ["requester"],
                   "相談を提出", "Submit", guards=[required_fields], style="primary"),
        transition("send_back", "consultation_submitted", "draft", ["office"],
                   "差し戻し（情報不足）", "Send back", comment_required=True),
        transition("accept", "consultation_submitted", "consultation_hearing",
                   ["office", "office_lead"], "受け付ける", "Accept", style="primary"),
        transition("reject", ["consultation_submitted", "consultation_hearing"], "closed_rejected",
                   ["office_lead"], "対象外とする", "Reject", comment_required=True,
                   style="danger"),
        transition("draft_proposal", "consultation_hearing", "consultation_proposing", ["office"],
                   "提案の作成に進む", "Start proposal", style="primary"),
        transition("send_proposal", "consultation_proposing", "consultation_study", ["office"],
                   "提案を送る", "Send proposal", guards=[proposal_present], style="primary"),
        transition("ask_revision", "consultation_study", "consultation_proposing",
                   ["requester", "dept_manager"], "提案の見直しを依頼", "Ask for revision",
                   comment_required=True),
        transition("decide_go", "consultation_study", "planning_as_is", ["dept_manager"],
                   "DX取組として進める", "Go ahead", style="primary"),
        transition("decide_no", "consultation_study", "closed_withdrawn", ["dept_manager"],
                   "見送る", "Do not proceed", comment_required=True, style="danger"),
    ),
)
