"""Writing validated initiatives: new cases in bulk, existing ones updated with an audit event.

New cases are created directly in the state the file gives them (no transitions are replayed:
the decisions and approvals before dxflow were not made in dxflow, and inventing them would
count them in the support KPIs). Each gets one 'imported' audit event whose ``to_state`` is that
state, so the audit log still replays every case from its first event. Cases imported into a
solution stage or later carry an approved plan (later target changes are revisions), and
those in KPI review get their review obligations, as going live would have created them.

An existing case (matched by external id, else title + bureau) is updated: blank cells never
clear what is stored, KPIs are matched by name and new ones added, a changed target of an
approved plan keeps its original figure; every changed case gets its version bumped and one
'imported' event listing what changed. Its state is never changed by an import: moves go
through the engine, by the people who make them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from workflow import config
from workflow.cases import bump_version
from workflow.fiscal import TOKYO, fiscal_year
from workflow.interchange.import_drafts import PLAN_TEXT_FIELDS, Figure, InitiativeDraft, KpiDraft
from workflow.models import (
    AuditEvent,
    Case,
    Kpi,
    KpiActual,
    KpiTarget,
    Plan,
    Review,
    User,
)
from workflow.numbering import reserve_case_numbers
from workflow.people.audit import record
from workflow.plans import _set_target, ensure_plan, record_actual
from workflow.reviews.obligations import schedule
from workflow.states import CLOSED_STATES, state_label

APPROVED_STATES = frozenset({"solution_selection", "solution_poc", "solution_rollout",
                             "review_monitoring", "closed_completed"})
CASE_FIELDS = ("title", "department_id", "case_type", "priority", "category", "values",
               "description", "current_problem", "desired_outcome")
# The cells that decide each case field: a field the file leaves blank is not touched.
FIELD_CELLS = {"department_id": "department"}
_CHUNK = 500


def _insert_ids(session: Session, table, rows: list[dict], *key: str) -> list[int]:
    """Insert ``rows`` in one executemany, then read their ids back by a unique ``key``.

    Cheaper than ``RETURNING`` in parameter order, which SQLite runs one row per statement.
    """
    if not rows:
        return []
    session.execute(insert(table), rows)
    column = table.c[key[0]]
    ids: dict[tuple, int] = {}
    values = list(dict.fromkeys(row[key[0]] for row in rows))
    for start in range(0, len(values), _CHUNK):
        found = session.execute(select(table.c.id, *(table.c[k] for k in key))
                                .where(column.in_(values[start:start + _CHUNK])))
        ids.update((tuple(r[1:]), r[0]) for r in found)
    return [ids[tuple(row[k] for k in key)] for row in rows]


def _target_row(kpi_id: int, fy: int, f: Figure, now: datetime) -> dict:
    revised = f.original is not None and f.original != f.value
    return {"kpi_id": kpi_id, "fiscal_year": fy, "value": f.value, "text": f.text,
            "original_value": f.original if revised else None, "original_text": "",
            "revised_at": now if revised else None}


def _kpi_row(plan_id: int, position: int, k: KpiDraft) -> dict:
    baseline = k.baseline or Figure(None)
    return {"plan_id": plan_id, "position": position, "name": k.name, "unit": k.unit,
            "direction": k.inferred_direction(), "baseline": baseline.value,
            "baseline_text": baseline.text, "baseline_label": k.baseline_label,
            "outcome": "", "note": k.note}


class Writer:
    """Writes one import inside the caller's transaction; ``commit`` is the caller's."""

    def __init__(self, session: Session, actor: User | None, source: str, now: datetime,
                 progress=None) -> None:
        self.session, self.actor, self.source, self.now = session, actor, source, now
        self.progress = progress or (lambda n: None)
        self.created: list[str] = []
        self.updated: list[str] = []
        self.unchanged = 0
        self.plans: dict[int, Plan] = {}

    def preload(self, cases: list[Case]) -> None:
        """The plans of the cases to update, with KPIs, targets and actuals: a few statements
        instead of several per case."""
        ids = [c.id for c in cases]
        for start in range(0, len(ids), 500):
            self.plans.update((p.case_id, p) for p in self.session.scalars(
                select(Plan).where(Plan.case_id.in_(ids[start:start + 500])).options(
                    selectinload(Plan.kpis).selectinload(Kpi.targets),
                    selectinload(Plan.kpis).selectinload(Kpi.actuals))))

    # --- new cases -------------------------------------------------------------------------

    def create(self, drafts: list[tuple[InitiativeDraft, dict]]) -> None:
        """``drafts``: (draft, validated case fields) of the initiatives that are new."""
        if not drafts:
            return
        now = self.now
        numbers = reserve_case_numbers(self.session, now, len(drafts))
        case_rows = []
        for (draft, clean), (fy, seq, number) in zip(drafts, numbers, strict=True):
            case_rows.append({
                **clean, "number": number, "fiscal_year": fy, "seq": seq, "state": draft.state,
                "hold_return_state": draft.hold_return_state, "version": 1,
                "external_id": draft.external_id, "proposal_text": "", "submitted_at": now,
                "closed_at": now if draft.state in CLOSED_STATES else None,
                "created_at": now, "updated_at": now,
            })
            self.created.append(number)
        case_ids = _insert_ids(self.session, Case.__table__, case_rows, "number")
        self.session.execute(insert(AuditEvent.__table__), [
            {"case_id": case_id, "kind": "imported", "to_state": draft.state, "case_version": 1,
             "actor_id": self.actor.id if self.actor else None, "created_at": now,
             "data": self._event_data(draft)}
            for case_id, (draft, _clean) in zip(case_ids, drafts, strict=True)])
        self.progress(len(drafts) // 2)
        self._create_plans(case_ids, [d for d, _c in drafts])
        self._create_reviews(case_ids, [d for d, _c in drafts])
        self.progress(len(drafts) - len(drafts) // 2)

    def _event_data(self, draft: InitiativeDraft, **extra) -> dict:
        data = {"source": self.source, "row": draft.row, **extra}
        if draft.status_text:
            data["status"] = draft.status_text[:200]
        if draft.co_departments:
            data["co_departments"] = draft.co_departments
        return data

    def _create_plans(self, case_ids: list[int], drafts: list[InitiativeDraft]) -> None:
        with_plan = [(cid, d) for cid, d in zip(case_ids, drafts, strict=True) if d.plan or d.kpis]
        plan_ids = _insert_ids(self.session, Plan.__table__, [
            {"case_id": cid, "security_checklist": {}, "created_at": self.now,
             "updated_at": self.now, **{k: d.plan.get(k, "") for k in PLAN_TEXT_FIELDS},
             "as_is_notes": "", "to_be_notes": "",
             "approved_at": self.now if d.state in APPROVED_STATES else None}
            for cid, d in with_plan], "case_id")
        kpis = [(plan_id, pos, k) for plan_id, (_cid, d) in zip(plan_ids, with_plan, strict=True)
                for pos, k in enumerate(d.kpis)]
        kpi_rows = [_kpi_row(pid, pos, k) for pid, pos, k in kpis]
        kpi_ids = _insert_ids(self.session, Kpi.__table__, kpi_rows, "plan_id", "position")
        targets, actuals = [], []
        for kpi_id, (_pid, _pos, k) in zip(kpi_ids, kpis, strict=True):
            targets += [_target_row(kpi_id, fy, f, self.now) for fy, f in sorted(k.targets.items())
                        if f.value is not None or f.text]
            actuals += [{"kpi_id": kpi_id, "fiscal_year": fy, "period": "FY", "value": f.value,
                         "text": f.text, "recorded_at": self.now,
                         "recorded_by_id": self.actor.id if self.actor else None}
                        for fy, f in sorted(k.actuals.items())]
        if targets:
            self.session.execute(insert(KpiTarget.__table__), targets)
        if actuals:
            self.session.execute(insert(KpiActual.__table__), actuals)

    def _create_reviews(self, case_ids: list[int], drafts: list[InitiativeDraft]) -> None:
        """Review obligations of cases arriving in KPI review, by the go-live rules."""
        policy = config.review_policy()
        cadence = "quarterly" if policy.quarterly else "yearly"
        first, today = fiscal_year(self.now), self.now.astimezone(TOKYO).date()
        managers: dict[int, int | None] = {}
        rows = []
        for case_id, draft in zip(case_ids, drafts, strict=True):
            if draft.state != "review_monitoring":
                continue
            if draft.department_id not in managers:
                managers[draft.department_id] = self.session.scalar(
                    select(User.id).where(User.department_id == draft.department_id,
                                          User.role == "dept_manager", User.active.is_(True))
                    .order_by(User.id))
            last = max([first, *(fy for k in draft.kpis for fy in k.targets)])
            rows += [{"case_id": case_id, "owner_id": managers[draft.department_id],
                      "fiscal_year": fy, "period": period, "due_date": due, "status": "open",
                      "comment": "", "next_actions": "", "created_at": self.now}
                     for fy, period, due in schedule(first, last, cadence, policy.days_after_fy_end)
                     if due >= today]
        if rows:
            self.session.execute(insert(Review.__table__), rows)

    # --- existing cases --------------------------------------------------------------------

    def update(self, case: Case, draft: InitiativeDraft, clean: dict) -> list[tuple[str, str]]:
        """Apply what the file changes on ``case``; returns (ja, en) notes on what it did not."""
        notes = []
        if draft.state and draft.state != case.state:
            notes.append((
                f"{case.number}：状態は変更しません（現在：{state_label(case.state)}、"
                f"ファイル：{state_label(draft.state)}）。状態の変更は案件の画面から行ってください",
                f"{case.number}: the state is not changed by an import (now {case.state}, "
                f"file {draft.state}); move it on the case page"))
        changes = {k: v for k, v in clean.items()
                   if FIELD_CELLS.get(k, k) in draft.cells and getattr(case, k) != v}
        if draft.external_id and case.external_id != draft.external_id:
            changes["external_id"] = draft.external_id
        if case.state in CLOSED_STATES:
            if changes:
                notes.append((f"{case.number}：終了した案件のため、内容は更新しません",
                              f"{case.number} is closed; its fields are not updated"))
            self.unchanged += 1
            self.progress(1)
            return notes
        kpi_changes = self._plan_changes(case, draft)
        if not changes and not kpi_changes:
            self.unchanged += 1
            self.progress(1)
            return notes
        self.session.flush()
        version = bump_version(self.session, case, case.version, self.now, **changes)
        record(self.session, "imported", self.actor, case_id=case.id, now=self.now,
               case_version=version,
               data=self._event_data(draft, action="update", fields=sorted(changes),
                                     plan=kpi_changes))
        self.updated.append(case.number)
        self.progress(1)
        return notes

    def _plan_changes(self, case: Case, draft: InitiativeDraft) -> list[str]:
        if not draft.plan and not draft.kpis:
            return []
        plan = self.plans.get(case.id) or ensure_plan(self.session, case)
        changed = [k for k, v in draft.plan.items() if getattr(plan, k) != v]
        for key in changed:
            setattr(plan, key, draft.plan[key])
        by_name = {k.name: k for k in plan.kpis}
        for k in draft.kpis:
            kpi = by_name.get(k.name)
            if kpi is None:
                kpi = Kpi(**_kpi_row(plan.id, len(plan.kpis), k))
                plan.kpis.append(kpi)
                for fy, f in sorted(k.targets.items()):
                    row = _target_row(0, fy, f, self.now)
                    row.pop("kpi_id")
                    kpi.targets.append(KpiTarget(**row))
                self.session.flush()
                for fy, f in sorted(k.actuals.items()):
                    record_actual(self.session, kpi, fy, f.value, f.text, actor=self.actor,
                                  now=self.now)
                changed.append(f"kpi:{k.name}")
            elif self._update_kpi(kpi, k, revise=plan.approved_at is not None):
                changed.append(f"kpi:{k.name}")
        return changed

    def _update_kpi(self, kpi: Kpi, k: KpiDraft, revise: bool) -> bool:
        changed = False
        given = {"unit": k.unit, "baseline_label": k.baseline_label, "note": k.note,
                 "direction": k.direction}
        for key, value in given.items():
            if value and getattr(kpi, key) != value:
                setattr(kpi, key, value)
                changed = True
        if k.baseline is not None and (kpi.baseline != k.baseline.value
                                       or kpi.baseline_text != k.baseline.text):
            kpi.baseline, kpi.baseline_text = k.baseline.value, k.baseline.text
            changed = True
        for fy, f in sorted(k.targets.items()):
            if f.value is None and not f.text:
                continue
            value: Decimal | str = f.value if f.value is not None else f.text
            if _set_target(kpi, fy, value, revise, self.now):
                changed = True
            target = kpi.target_for(fy)
            if (target is not None and f.original is not None and f.original != f.value
                    and target.original_value != f.original):
                target.original_value, target.original_text = f.original, ""
                target.revised_at = target.revised_at or self.now
                changed = True
        actuals = {(a.fiscal_year, a.period): a for a in kpi.actuals}
        for fy, f in sorted(k.actuals.items()):
            old = actuals.get((fy, "FY"))
            if old is None or old.value != f.value or old.text != f.text:
                record_actual(self.session, kpi, fy, f.value, f.text, actor=self.actor,
                              now=self.now)
                changed = True
        return changed
