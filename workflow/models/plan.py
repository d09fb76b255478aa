"""The execution plan (実行計画): KGI, KPIs with baselines, targets per fiscal year, actuals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, utcnow
from .org import User

KPI_NUMBER = Numeric(18, 4)


class Plan(Base, Timestamped):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    kgi: Mapped[str] = mapped_column(Text, default="")
    kgi_note: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    as_is_notes: Mapped[str] = mapped_column(Text, default="")
    to_be_notes: Mapped[str] = mapped_column(Text, default="")
    # {item key: "yes" | "no" | "not_applicable"}; see vocabulary.SECURITY_CHECKLIST.
    security_checklist: Mapped[dict] = mapped_column(JSON, default=dict)
    # None follows the installation's review policy; "yearly" or "quarterly" overrides it.
    review_cadence: Mapped[str | None] = mapped_column(String(10))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    kpis: Mapped[list[Kpi]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Kpi.position"
    )


class Kpi(Base):
    __tablename__ = "kpis"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(50), default="")
    direction: Mapped[str] = mapped_column(String(10), default="increase")
    baseline: Mapped[Decimal | None] = mapped_column(KPI_NUMBER)
    baseline_text: Mapped[str] = mapped_column(String(300), default="")
    baseline_label: Mapped[str] = mapped_column(String(50), default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # The manager who owns this KPI's reviews; None means the bureau's manager.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    plan: Mapped[Plan] = relationship(back_populates="kpis")
    owner: Mapped[User | None] = relationship()
    targets: Mapped[list[KpiTarget]] = relationship(
        back_populates="kpi", cascade="all, delete-orphan", order_by="KpiTarget.fiscal_year"
    )
    actuals: Mapped[list[KpiActual]] = relationship(
        back_populates="kpi", cascade="all, delete-orphan", order_by="KpiActual.fiscal_year"
    )

    def target_for(self, fiscal_year: int) -> KpiTarget | None:
        return next((t for t in self.targets if t.fiscal_year == fiscal_year), None)

    @property
    def has_baseline(self) -> bool:
        return self.baseline is not None or bool(self.baseline_text.strip())


class KpiTarget(Base):
    """A fiscal year's target; a revision keeps the original (当初設定数値) beside it."""

    __tablename__ = "kpi_targets"
    __table_args__ = (UniqueConstraint("kpi_id", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int]
    value: Mapped[Decimal | None] = mapped_column(KPI_NUMBER)
    text: Mapped[str] = mapped_column(String(300), default="")
    original_value: Mapped[Decimal | None] = mapped_column(KPI_NUMBER)
    original_text: Mapped[str] = mapped_column(String(300), default="")
    revised_at: Mapped[datetime | None]

    kpi: Mapped[Kpi] = relationship(back_populates="targets")

    @property
    def is_set(self) -> bool:
        return self.value is not None or bool(self.text.strip())

    @property
    def is_revised(self) -> bool:
        return self.revised_at is not None


class KpiActual(Base):
    __tablename__ = "kpi_actuals"
    __table_args__ = (UniqueConstraint("kpi_id", "fiscal_year", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int]
    # "FY" for the year, "Q1".."Q4" for quarterly check-ins.
    period: Mapped[str] = mapped_column(String(4), default="FY")
    value: Mapped[Decimal | None] = mapped_column(KPI_NUMBER)
    text: Mapped[str] = mapped_column(String(300), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    kpi: Mapped[Kpi] = relationship(back_populates="actuals")
