"""Checking an initiative's own fields once all its rows are read: title, bureau, vocabularies
and the state it will arrive in (see ``import_status``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from workflow.interchange.headers import FIELDS
from workflow.interchange.import_drafts import (
    CASE_TEXT_FIELDS,
    MAX_EXTERNAL_ID,
    MAX_TITLE,
    PLAN_TEXT_FIELDS,
    InitiativeDraft,
    choice,
    text_of,
)
from workflow.interchange.import_status import PhaseRule, read_status
from workflow.states import CLOSED_STATES, OPEN_STATES
from workflow.vocabulary import CASE_TYPES, CATEGORIES, PRIORITIES, VALUES

_VALUE_SEPARATORS = str.maketrans(dict.fromkeys("・、,，;；/／\n", " "))


@dataclass
class InitiativeChecker:
    resolve_department: Callable[[str], tuple]
    status_map: Mapping[str, PhaseRule] = field(default_factory=dict)

    def _cell(self, draft: InitiativeDraft, name: str) -> tuple[int, str, str]:
        row, column, value = draft.cells.get(name, (draft.row, label_of(name), None))
        return row, column, text_of(value)

    def check(self, draft: InitiativeDraft) -> None:
        """Fill in the initiative's fields from its cells, adding an issue for each problem."""
        row, column, external = self._cell(draft, "external_id")
        if len(external) > MAX_EXTERNAL_ID:
            draft.error(row, column, "外部IDが長すぎます（100文字まで）",
                        "The external id is too long (100 characters)")
        draft.external_id = external or None
        row, column, title = self._cell(draft, "title")
        draft.title = " ".join(title.split())
        if not draft.title and not any(i.column == label_of("title") for i in draft.issues):
            draft.error(row, column, "件名（取組名）が空です", "The title is empty")
        elif len(draft.title) > MAX_TITLE:
            draft.error(row, column, f"件名が長すぎます（{MAX_TITLE}文字まで）",
                        f"The title is too long ({MAX_TITLE} characters)")
        self._department(draft)
        self._vocabularies(draft)
        for name in CASE_TEXT_FIELDS:
            draft.fields[name] = self._cell(draft, name)[2]
        for name in PLAN_TEXT_FIELDS:
            if text := self._cell(draft, name)[2]:
                draft.plan[name] = text
        self._state(draft)

    def _department(self, draft: InitiativeDraft) -> None:
        row, column, cell = self._cell(draft, "department")
        if not cell:
            return  # fine for an update (the case keeps its bureau); ``importer`` decides
        dept_id, name, others, unknown = self.resolve_department(cell)
        if dept_id is None:
            draft.error(row, column,
                        f"所管部局「{'・'.join(unknown) or cell}」が登録されていません"
                        "（部局の管理画面で確認してください）",
                        f"Unknown department '{', '.join(unknown) or cell}'")
            return
        draft.department_id, draft.fields["department_id"] = dept_id, dept_id
        draft.co_departments = others
        if unknown:
            draft.warn(row, column,
                       f"「{'・'.join(unknown)}」は登録された部局ではないため、所管を「{name}」とし、ほかは記録しません",
                       f"'{', '.join(unknown)}' is not a known department; {name} owns it")

    def _vocabularies(self, draft: InitiativeDraft) -> None:
        for name, vocabulary, default in (("category", CATEGORIES, None),
                                          ("case_type", CASE_TYPES, "dx_project"),
                                          ("priority", PRIORITIES, "normal")):
            row, column, text = self._cell(draft, name)
            chosen = choice(vocabulary, text) if text else default
            if text and chosen is None:
                options = "、".join(ja for ja, _en in vocabulary.values())
                draft.error(row, column, f"「{text}」は選択肢にありません（{options}）",
                            f"'{text}' is not one of: {', '.join(vocabulary)}")
            draft.fields[name] = chosen
        row, column, text = self._cell(draft, "values")
        chosen = [choice(VALUES, part) for part in text.translate(_VALUE_SEPARATORS).split()]
        if None in chosen:
            draft.error(row, column, "VALUEは「サービス・あんしん・つながり・にぎわい・"
                        "やさしさ・しごと」から選んでください",
                        "VALUEs must be among: " + ", ".join(VALUES))
        draft.fields["values"] = [c for c in dict.fromkeys(chosen) if c]

    def _state(self, draft: InitiativeDraft) -> None:
        row, column, code = self._cell(draft, "state")
        if code:
            self._state_code(draft, row, column, code)
            return
        row, column, status = self._cell(draft, "status")
        if not status and "phase" in draft.cells:
            row, column, status = self._cell(draft, "phase")
        draft.status_text = status
        reading = read_status(status, draft.has_plan, self.status_map)
        if reading.state is None and not reading.refused and _is_prose(status):
            draft.state = read_status("", draft.has_plan).state
            draft.warn(row, column,
                       "状況の文章から段階を判断できないため「検討中」として取り込みます",
                       "No status word in the text; imported as 検討中 (under study)")
            return
        if reading.refused:
            what = "下書き" if reading.refused == "draft" else "保留"
            draft.error(row, column, f"「{status}」（{what}）の案件は取り込めません。"
                        "取り込み後の状態を書いてください",
                        f"Cases in '{reading.refused}' cannot be imported; give another status")
        elif reading.state is None:
            draft.error(row, column,
                        f"状況「{status[:40]}」を段階に対応付けられません。「検討中」「実証中」"
                        "「実施中」などの言葉で書くか、取り込み後の段階を指定してください"
                        "（コマンドでは --status-map）",
                        f"Status '{status[:40]}' maps to no state; use --status-map WORD=STATE",
                        code="unknown_status", value=status)
        else:
            draft.state = reading.state
            if not status:
                draft.warn(row, column, "状況が空欄のため「検討中」として取り込みます",
                           "The status is blank; imported as 検討中 (under study)")
            elif reading.inferred_word:
                draft.warn(row, column, f"状況の文章から「{reading.inferred_word}」と判断しました",
                           f"Status read as '{reading.inferred_word}' from the text")

    def _state_code(self, draft: InitiativeDraft, row: int, column: str, code: str) -> None:
        code = code.strip()
        back = self._cell(draft, "hold_return_state")[2].strip()
        if code == "on_hold" and back in OPEN_STATES and back != "on_hold":
            draft.state, draft.hold_return_state = code, back
        elif code in (OPEN_STATES | CLOSED_STATES) - {"on_hold"}:
            draft.state = code
        else:
            draft.error(row, column, f"状態コード「{code}」は取り込めません",
                        f"State code '{code}' cannot be imported")


def _is_prose(text: str) -> bool:
    """A sentence about the initiative (as the plan prints), not a status word to map."""
    return len(text) > 20 or "。" in text or "、" in text


def label_of(name: str) -> str:
    return FIELDS[name][0]
