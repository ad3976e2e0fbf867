"""The one read-only engine over the seeded database, and the read-only queries the app's pages use to show the
data (the agent uses the tools in ``tools/``, over the same engine)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event, func, make_url, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from seed_db import models


def readonly_engine(database: str | Path) -> Engine:
    """An engine that can only read the seeded database: a SQLite file (a path or a ``sqlite:///`` URL) is opened
    ``mode=ro`` with ``PRAGMA query_only`` and may be shared across threads (Streamlit, eval workers); another
    database URL is opened as given (PostgreSQL: schema ``uwc_data``, read-only transactions). A missing SQLite file raises
    ``FileNotFoundError`` saying to run ``uwc seed``."""
    url = make_url(str(database) if "://" in str(database) else f"sqlite:///{database}")
    if url.get_backend_name() == "postgresql":
        # The insurer's schema, in transactions that are read-only by default; reconnects after a server restart.
        from core.database import DATA_SCHEMA, check_when_stale, normalize_url

        options = f"-c search_path={DATA_SCHEMA} -c default_transaction_read_only=on"
        return check_when_stale(
            create_engine(normalize_url(str(database)), connect_args={"options": options, "connect_timeout": 5})
        )
    if url.get_backend_name() != "sqlite":
        return create_engine(url)
    path = Path(url.database or "")
    if not path.is_file():
        raise FileNotFoundError(f"no database at {path}; run `uwc seed` first")
    engine = create_engine(
        f"sqlite:///file:{path.resolve()}?mode=ro&uri=true", connect_args={"check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _query_only(dbapi_conn, _):
        dbapi_conn.execute("PRAGMA query_only = ON")

    return engine


def insurer_name(engine: Engine) -> str:
    with engine.connect() as conn:
        return (
            conn.execute(select(models.SeedInfo.value).where(models.SeedInfo.key == "insurer")).scalar_one_or_none()
            or "the insurer"
        )


def seeded_inputs_digest(engine: Engine) -> str | None:
    """The hash of the seed inputs and guidelines the database in use was built from (``seed_info``), or None."""
    with engine.connect() as conn:
        return conn.execute(
            select(models.SeedInfo.value).where(models.SeedInfo.key == "inputs_sha256")
        ).scalar_one_or_none()


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
