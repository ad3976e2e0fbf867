"""Read-only queries the app's pages use to show the data (the agent uses the tools in ``tools/``)."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from seed_db import models


def table_counts(engine: Engine) -> dict[str, int]:
    """Row count of every table, in schema order."""
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in models.Base.metadata.sorted_tables
        }


def insurer_name(engine: Engine) -> str:
    with engine.connect() as conn:
        return (
            conn.execute(select(models.SeedInfo.value).where(models.SeedInfo.key == "insurer")).scalar_one_or_none()
            or "the insurer"
        )


def lines_of_business(engine: Engine) -> list[dict]:
    with Session(engine) as s:
        rows = s.execute(select(models.LineOfBusiness).order_by(models.LineOfBusiness.code)).scalars().all()
        syn = s.execute(select(models.LobSynonym).order_by(models.LobSynonym.synonym)).scalars().all()
    return [
        {
            "code": r.code,
            "name": r.display_name,
            "covers": r.description,
            "synonyms": ", ".join(s.synonym for s in syn if s.lob_code == r.code),
        }
        for r in rows
    ]


def search_applicants(engine: Engine, query: str = "", limit: int = 50) -> list[dict]:
    """Applicants whose name, id or description contains ``query`` (case-insensitive), by name."""
    a = models.Applicant
    stmt = select(a).order_by(a.company_name).limit(max(1, min(limit, 500)))
    q = query.strip()
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(a.company_name).like(like), func.lower(a.id).like(like), func.lower(a.description).like(like)
            )
        )
    with Session(engine) as s:
        return [
            {
                c: getattr(r, c)
                for c in (
                    "id",
                    "company_name",
                    "naics_code",
                    "state",
                    "requested_lob",
                    "annual_revenue",
                    "employees",
                    "annual_payroll",
                    "vehicles",
                    "construction",
                    "description",
                )
            }
            for r in s.execute(stmt).scalars()
        ]
