"""SQLAlchemy 2.x models of the copilot's database.

Two kinds of tables: real public reference data (NAICS 2022, the Census concordances, the SBA size
standards, US states) and the fictional insurer's own data (its lines of business, appetite guide,
construction classes, rules for Qualified entries, limits, deductibles and applicants).
Column ``info={"doc": ...}`` strings are the column meanings the SQL tools show to the model.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def doc(text: str) -> dict:
    return {"doc": text}


class NaicsSector(Base):
    __tablename__ = "naics_sector"
    __table_args__ = {"info": doc("The 20 NAICS 2022 sectors (two-digit codes; some are ranges).")}
    code: Mapped[str] = mapped_column(
        String(5), primary_key=True, info=doc("sector code as Census writes it: '11', '31-33', '44-45', '48-49'")
    )
    title: Mapped[str] = mapped_column(Text, info=doc("sector title"))


class NaicsLevel(Base):
    __tablename__ = "naics_level"
    __table_args__ = {
        "info": doc(
            "Every entry of the NAICS 2022 hierarchy: sectors, subsectors (3 digits), industry groups (4), industries (5), national industries (6)."
        )
    }
    code: Mapped[str] = mapped_column(String(6), primary_key=True, info=doc("NAICS 2022 code at any level"))
    level: Mapped[int] = mapped_column(
        Integer,
        index=True,
        info=doc("number of digits: 2 sector, 3 subsector, 4 industry group, 5 industry, 6 national industry"),
    )
    title: Mapped[str] = mapped_column(Text, info=doc("official title"))


class NaicsCode(Base):
    __tablename__ = "naics_code"
    __table_args__ = {
        "info": doc("All 1,012 six-digit NAICS 2022 national industries with the official Census description.")
    }
    code: Mapped[str] = mapped_column(
        String(6), primary_key=True, info=doc("six-digit 2022 NAICS code, text, e.g. '722511'")
    )
    title: Mapped[str] = mapped_column(Text, info=doc("official title, e.g. 'Full-Service Restaurants'"))
    description: Mapped[str] = mapped_column(Text, info=doc("official Census description of the industry"))
    sector_code: Mapped[str] = mapped_column(
        ForeignKey("naics_sector.code"), index=True, info=doc("sector code, e.g. '72' or '31-33'")
    )


class NaicsConcordance2022To2017(Base):
    __tablename__ = "naics_2022_to_2017"
    __table_args__ = (
        Index("ix_naics_2022_to_2017_2017", "naics_2017"),
        {"info": doc("Census concordance between NAICS 2022 and NAICS 2017 codes (one code can split or merge).")},
    )
    naics_2022: Mapped[str] = mapped_column(String(6), primary_key=True, info=doc("2022 code"))
    naics_2017: Mapped[str] = mapped_column(String(6), primary_key=True, info=doc("2017 code"))
    title_2022: Mapped[str] = mapped_column(Text, info=doc("2022 title"))
    title_2017: Mapped[str] = mapped_column(Text, info=doc("2017 title"))
    relationship: Mapped[str] = mapped_column(
        String(12), info=doc("from 2017 towards 2022: '1:1', 'split', 'merge' or 'split+merge'")
    )


class NaicsConcordance2012To2017(Base):
    __tablename__ = "naics_2012_to_2017"
    __table_args__ = (
        Index("ix_naics_2012_to_2017_2017", "naics_2017"),
        {"info": doc("Census concordance between NAICS 2012 and NAICS 2017 codes.")},
    )
    naics_2012: Mapped[str] = mapped_column(String(6), primary_key=True, info=doc("2012 code"))
    naics_2017: Mapped[str] = mapped_column(String(6), primary_key=True, info=doc("2017 code"))
    title_2012: Mapped[str] = mapped_column(Text, info=doc("2012 title (may carry Census 'piece' wording)"))
    title_2017: Mapped[str] = mapped_column(Text, info=doc("2017 title"))
    relationship: Mapped[str] = mapped_column(
        String(12), info=doc("from 2012 towards 2017: '1:1', 'split', 'merge' or 'split+merge'")
    )


class SizeStandard(Base):
    __tablename__ = "size_standard"
    __table_args__ = (
        Index("ix_size_standard_naics", "naics_code"),
        {
            "info": doc(
                "SBA table of small business size standards effective 2023-03-17, keyed by 2022 NAICS. A business is small when its figure does not exceed the standard. Rows with an exception label are special cases of the same code."
            )
        },
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=doc("row number in the SBA table"))
    naics_code: Mapped[str] = mapped_column(ForeignKey("naics_code.code"), info=doc("2022 NAICS code"))
    exception: Mapped[str | None] = mapped_column(
        Text, info=doc("empty for the industry's base row; otherwise the exception label")
    )
    title: Mapped[str] = mapped_column(Text, info=doc("SBA's title for the row"))
    receipts_musd: Mapped[float | None] = mapped_column(
        Float, info=doc("average annual receipts standard in MILLIONS of USD (e.g. 47.0 = $47,000,000)")
    )
    employees: Mapped[int | None] = mapped_column(Integer, info=doc("employee-count standard"))
    assets_musd: Mapped[float | None] = mapped_column(Float, info=doc("asset standard in millions of USD (banks)"))
    footnote_ref: Mapped[str | None] = mapped_column(
        String(16), info=doc("SBA footnote number(s), ';'-separated, see size_standard_footnote")
    )


class SizeStandardFootnote(Base):
    __tablename__ = "size_standard_footnote"
    __table_args__ = {"info": doc("Footnotes of the SBA size standards table.")}
    ref: Mapped[str] = mapped_column(String(8), primary_key=True, info=doc("footnote number"))
    text: Mapped[str] = mapped_column(Text, info=doc("footnote text"))


class State(Base):
    __tablename__ = "state"
    __table_args__ = {"info": doc("The 50 US states and the District of Columbia.")}
    code: Mapped[str] = mapped_column(
        String(2), primary_key=True, info=doc("two-letter postal abbreviation, upper case, e.g. 'TX'")
    )
    name: Mapped[str] = mapped_column(Text, unique=True, info=doc("full name, e.g. 'Texas'"))


class LineOfBusiness(Base):
    __tablename__ = "line_of_business"
    __table_args__ = {"info": doc("The insurer's product catalog: the ONLY lines of business it writes.")}
    code: Mapped[str] = mapped_column(
        String(32),
        primary_key=True,
        info=doc("LOB code, lower case: workers_compensation, property, general_liability, auto, cyber, bop"),
    )
    display_name: Mapped[str] = mapped_column(Text, info=doc("name to show underwriters"))
    description: Mapped[str] = mapped_column(Text, info=doc("what the line covers"))


class LobSynonym(Base):
    __tablename__ = "lob_synonym"
    __table_args__ = {"info": doc("Words underwriters use for each line of business (lower case).")}
    synonym: Mapped[str] = mapped_column(
        String(64), primary_key=True, info=doc("lower-case synonym, e.g. 'workers comp', 'cgl'")
    )
    lob_code: Mapped[str] = mapped_column(ForeignKey("line_of_business.code"), index=True, info=doc("LOB code"))


class Appetite(Base):
    __tablename__ = "appetite"
    __table_args__ = (
        Index("ix_appetite_state_lob", "state", "lob"),
        {
            "info": doc(
                "Appetite guide: one row per 2022 NAICS code x state x LOB. Yes = in appetite; No = decline; Qualified = depends on the LOB's qualification rule. Always apply the small-business test first."
            )
        },
    )
    naics_code: Mapped[str] = mapped_column(
        ForeignKey("naics_code.code"), primary_key=True, info=doc("six-digit 2022 NAICS code, text")
    )
    state: Mapped[str] = mapped_column(
        ForeignKey("state.code"), primary_key=True, info=doc("two-letter state code, upper case")
    )
    lob: Mapped[str] = mapped_column(
        ForeignKey("line_of_business.code"), primary_key=True, info=doc("LOB code, lower case, e.g. 'auto'")
    )
    appetite: Mapped[str] = mapped_column(String(9), info=doc("'Yes', 'No' or 'Qualified' (capitalised)"))
    rule_id: Mapped[str] = mapped_column(
        String(48), info=doc("id of the appetite rule that produced this row (seed_db/data/insurer.yaml)")
    )
    section_id: Mapped[str] = mapped_column(String(64), info=doc("guideline section that states the rule"))


class ConstructionClass(Base):
    __tablename__ = "construction_class"
    __table_args__ = {"info": doc("Building construction Types I-V.")}
    type: Mapped[str] = mapped_column(String(3), primary_key=True, info=doc("'I', 'II', 'III', 'IV' or 'V'"))
    name: Mapped[str] = mapped_column(Text, info=doc("e.g. 'Fire-resistive'"))
    description: Mapped[str] = mapped_column(Text, info=doc("plain description"))
    fire_resistive: Mapped[bool] = mapped_column(
        Boolean, info=doc("true for Type I and II ('sufficiently fire resistive')")
    )


class ConstructionPhrase(Base):
    __tablename__ = "construction_phrase"
    __table_args__ = {"info": doc("Phrases applicants use for their building's construction, mapped to a type.")}
    phrase: Mapped[str] = mapped_column(String(64), primary_key=True, info=doc("lower-case phrase, e.g. 'wood frame'"))
    type: Mapped[str] = mapped_column(ForeignKey("construction_class.type"), index=True, info=doc("construction type"))


class QualificationRule(Base):
    __tablename__ = "qualification_rule"
    __table_args__ = {
        "info": doc(
            "What decides an appetite entry marked Qualified, per LOB (a rule with codes applies to those codes only and wins over the general one)."
        )
    }
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lob: Mapped[str] = mapped_column(ForeignKey("line_of_business.code"), index=True, info=doc("LOB code"))
    fact: Mapped[str] = mapped_column(
        String(32),
        info=doc("applicant fact the rule needs: annual_payroll, vehicles, construction, employees, annual_revenue"),
    )
    max_value: Mapped[float | None] = mapped_column(Float, info=doc("in appetite when the fact is at most this value"))
    allowed_types: Mapped[str | None] = mapped_column(
        Text, info=doc("comma-separated construction types that are in appetite")
    )
    codes: Mapped[str | None] = mapped_column(
        Text, info=doc("comma-separated 2022 NAICS codes the rule is limited to; empty = all codes")
    )
    section_id: Mapped[str] = mapped_column(String(64), info=doc("guideline section that states the rule"))


class LimitRule(Base):
    __tablename__ = "limit_rule"
    __table_args__ = {
        "info": doc(
            "Policy limits to offer: the rule with the longest matching NAICS prefix wins; lob NULL = every LOB."
        )
    }
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lob: Mapped[str | None] = mapped_column(
        ForeignKey("line_of_business.code"), info=doc("LOB code or NULL for every LOB")
    )
    naics_prefix: Mapped[str] = mapped_column(String(6), index=True, info=doc("NAICS prefix ('' = every code)"))
    per_occurrence: Mapped[int] = mapped_column(Integer, info=doc("per-occurrence limit in USD"))
    aggregate: Mapped[int] = mapped_column(Integer, info=doc("aggregate limit in USD"))
    section_id: Mapped[str] = mapped_column(String(64), info=doc("guideline section that states the rule"))


class DeductibleRule(Base):
    __tablename__ = "deductible_rule"
    __table_args__ = {
        "info": doc(
            "Deductibles: the rule with the longest matching NAICS prefix wins, a LOB-specific rule over lob NULL."
        )
    }
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lob: Mapped[str | None] = mapped_column(
        ForeignKey("line_of_business.code"), info=doc("LOB code or NULL for every LOB")
    )
    naics_prefix: Mapped[str] = mapped_column(String(6), index=True, info=doc("NAICS prefix ('' = every code)"))
    deductible: Mapped[int] = mapped_column(Integer, info=doc("deductible in USD"))
    section_id: Mapped[str] = mapped_column(String(64), info=doc("guideline section that states the rule"))


class Applicant(Base):
    __tablename__ = "applicant"
    __table_args__ = (
        Index("ix_applicant_name", "company_name"),
        {"info": doc("Fictional small-business applicants (submissions) the underwriters ask about.")},
    )
    id: Mapped[str] = mapped_column(String(12), primary_key=True, info=doc("applicant id, e.g. 'APP-0042'"))
    company_name: Mapped[str] = mapped_column(Text, info=doc("company name"))
    description: Mapped[str] = mapped_column(Text, info=doc("what the business does"))
    naics_code: Mapped[str] = mapped_column(
        ForeignKey("naics_code.code"), index=True, info=doc("six-digit 2022 NAICS code")
    )
    state: Mapped[str] = mapped_column(ForeignKey("state.code"), info=doc("two-letter state code"))
    annual_revenue: Mapped[int] = mapped_column(Integer, info=doc("annual revenue (receipts) in USD"))
    employees: Mapped[int] = mapped_column(Integer, info=doc("number of employees"))
    annual_payroll: Mapped[int] = mapped_column(Integer, info=doc("annual payroll in USD"))
    vehicles: Mapped[int] = mapped_column(Integer, info=doc("number of vehicles"))
    construction: Mapped[str] = mapped_column(Text, info=doc("building construction as the applicant described it"))
    construction_type: Mapped[str | None] = mapped_column(
        ForeignKey("construction_class.type"), info=doc("construction type the phrase maps to")
    )
    requested_lob: Mapped[str] = mapped_column(
        ForeignKey("line_of_business.code"), info=doc("LOB the applicant asks for")
    )


class SeedInfo(Base):
    __tablename__ = "seed_info"
    __table_args__ = {"info": doc("Facts about how this database was built.")}
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
