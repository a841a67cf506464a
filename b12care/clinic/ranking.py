"""One page of the dashboard's ranking as one SQL statement.

The ORM definition (``triage.triage_queryset``) repeated the whole ranking CASE in each of the
nine window counts: 21 KB of SQL that took 13 ms of CPU to build. Here the rank is computed
once per patient in a CTE, the group counts are windows over it (before the filters), the
total a window after them, and the facts a row shows only for the page's rows.
``tests/test_ranking_reference.py`` keeps the result equal to the ORM definition. Patients
come from the access helper (``visible_patients``), embedded as a subquery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection

from b12care.accounts.access import visible_patients
from b12care.accounts.models import PatientProfile, User
from injections.models import DoseStatus, Phase, PlannedDose, Regimen, RegimenStatus

from .models import TriageState

# The ranking's definitions (``triage`` uses the same names for its ORM definition).
POOR_ADHERENCE_PERCENT = 80  # on time below this share of the doses due …
ADHERENCE_DAYS = 90  # … in the last 90 days
MISSED_RECENT_DAYS = 14  # a missed dose keeps a patient in "overdue doses" this long

ORDER = {
    "triage": "r.triage_rank, (r.newest_finding_at IS NULL), r.newest_finding_at DESC, "
              "r.last_name, r.first_name, r.id",
    "name": "r.last_name, r.first_name, r.id",
    "recent": "r.date_joined DESC, r.id",
}


@dataclass(frozen=True)
class RankedRow:
    patient_id: int
    triage_rank: int
    has_overdue_dose: bool
    has_overdue_lab: bool
    has_schedule: bool
    adh_due: int
    adh_on_time: int


@dataclass(frozen=True)
class Ranking:
    rows: list[RankedRow]
    counts: dict[int, int]  # patients per rank, over all the user's patients
    missing: int  # patients without a TriageState row yet
    total: int  # patients matching the filters


def _fragments(*, with_phase: bool) -> dict[str, str]:
    """The SQL of each per-patient fact (``p`` = the patient, ``s`` = their TriageState)."""
    dose, regimen = PlannedDose._meta.db_table, Regimen._meta.db_table
    recent = (f"FROM {dose} d WHERE d.patient_id = p.id AND d.due_at >= %(since)s "
              f"AND d.due_at < %(now)s AND d.status <> '{DoseStatus.SKIPPED}'")
    phase = f"""(SELECT ph.kind FROM {dose} d JOIN {regimen} g ON g.id = d.regimen_id
                 JOIN {Phase._meta.db_table} ph ON ph.id = d.phase_id
                 WHERE d.patient_id = p.id AND g.status = '{RegimenStatus.ACTIVE}'
                   AND d.status = '{DoseStatus.OPEN}' ORDER BY d.due_at LIMIT 1)"""
    return {
        "overdue_dose": "(s.next_dose_deadline < %(now)s OR (s.last_missed_at >= %(missed_since)s"
                        " AND s.last_missed_at < %(now)s))",
        "overdue_lab": "s.lab_overdue_from <= %(today)s",
        "has_schedule": f"EXISTS (SELECT 1 FROM {regimen} g WHERE g.patient_id = p.id "
                        f"AND g.status = '{RegimenStatus.ACTIVE}')",
        "adh_due": f"(SELECT COUNT(*) {recent} "
                   "AND (d.on_time IS NOT NULL OR d.grace_end < %(now)s))",
        "adh_on_time": f"(SELECT COUNT(*) {recent} AND d.on_time)",
        "phase_kind": phase if with_phase else "NULL",
    }


def _sql(visible: str, *, where: list[str], sort: str, with_phase: bool) -> str:
    """ranked: each patient's rank (a CASE, so the costlier facts are evaluated only when the
    earlier tiers do not decide; the tiers and the poor-adherence test in integers are
    ``triage``'s) → page: counts per rank over everyone, the filters, the total after them,
    the order and the page → the page's own facts, for its rows only."""
    f = _fragments(with_phase=with_phase)
    state, profile = TriageState._meta.db_table, PatientProfile._meta.db_table
    # Without it PostgreSQL inlines the CTE and evaluates the CASE once per reference.
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    counts = ", ".join(f"SUM(CASE WHEN triage_rank = {n} THEN 1 ELSE 0 END) OVER () AS n{n}"
                       for n in range(8))
    order = ORDER.get(sort, ORDER["triage"])
    return f"""
      WITH ranked AS {materialized} (
        SELECT p.id, u.first_name, u.last_name, u.email, u.date_joined, s.newest_finding_at,
               s.patient_id IS NULL AS missing, {f["phase_kind"]} AS phase_kind,
               CASE WHEN s.emergency_open > 0 THEN 0
                    WHEN s.urgent_open > 0 THEN 1
                    WHEN s.review_open > 0 THEN 2
                    WHEN {f["overdue_dose"]} THEN 3
                    WHEN {f["overdue_lab"]} THEN 4
                    WHEN {f["adh_due"]} > 0
                         AND {f["adh_on_time"]} * 100
                             < {f["adh_due"]} * {POOR_ADHERENCE_PERCENT} THEN 5
                    WHEN NOT {f["has_schedule"]} THEN 6
                    ELSE 7 END AS triage_rank
        FROM {profile} p JOIN {User._meta.db_table} u ON u.id = p.user_id
        LEFT JOIN {state} s ON s.patient_id = p.id
        WHERE p.id IN ({visible})
      ), page AS (
        SELECT r.*, COUNT(*) OVER () AS n_total
        FROM (SELECT ranked.*, SUM(CASE WHEN missing THEN 1 ELSE 0 END) OVER () AS n_missing,
                     {counts}
              FROM ranked) r
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY {order}
        LIMIT %(limit)s OFFSET %(offset)s
      )
      SELECT r.id, r.triage_rank, {f["overdue_dose"]}, {f["overdue_lab"]}, {f["has_schedule"]},
             {f["adh_due"]}, {f["adh_on_time"]}, r.n_missing,
             {", ".join(f"r.n{n}" for n in range(8))}, r.n_total
      FROM page r JOIN {profile} p ON p.id = r.id LEFT JOIN {state} s ON s.patient_id = p.id
      ORDER BY {order}"""


def ranking(user: User, *, now: dt.datetime, query: str = "", rank: int | None = None,
            phase: str = "", sort: str = "triage", offset: int = 0, limit: int = 25
            ) -> Ranking | None:
    """Rows ``offset`` … ``offset + limit`` of the user's ranked patients, filtered by a
    name/email search, a rank and a phase ("none" = no open dose of an active regimen); None
    when that page is empty. ``phase`` must be one of the dashboard's PHASES or ""."""
    try:
        visible, visible_params = (visible_patients(user).order_by().values("pk")
                                   .query.sql_with_params())
    except EmptyResultSet:
        return None
    ops = connection.ops
    params = {
        "now": ops.adapt_datetimefield_value(now),
        "since": ops.adapt_datetimefield_value(now - dt.timedelta(days=ADHERENCE_DAYS)),
        "missed_since": ops.adapt_datetimefield_value(
            now - dt.timedelta(days=MISSED_RECENT_DAYS)),
        "today": ops.adapt_datefield_value(now.date()),
        "rank": rank, "phase": phase, "offset": offset, "limit": limit,
        "like": f"%{ops.prep_for_like_query(query)}%",
    }
    # The access helper's SQL uses positional %s: give each of its values a name.
    for i, value in enumerate(visible_params):
        params[f"v{i}"] = value
    visible = visible % tuple(f"%(v{i})s" for i in range(len(visible_params)))
    where = []
    if query:
        where.append("(UPPER(r.first_name) LIKE UPPER(%(like)s) ESCAPE '\\' "
                     "OR UPPER(r.last_name) LIKE UPPER(%(like)s) ESCAPE '\\' "
                     "OR UPPER(r.email) LIKE UPPER(%(like)s) ESCAPE '\\')")
    if rank is not None:
        where.append("r.triage_rank = %(rank)s")
    if phase == "none":
        where.append("r.phase_kind IS NULL")
    elif phase:
        where.append("r.phase_kind = %(phase)s")
    sql = _sql(visible, where=where, sort=sort, with_phase=bool(phase))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if not found:
        return None
    first = found[0]
    return Ranking(
        rows=[RankedRow(pk, rank_, bool(dose), bool(lab), bool(schedule), due or 0, on or 0)
              for pk, rank_, dose, lab, schedule, due, on, *_ in found],
        counts={n: int(first[8 + n] or 0) for n in range(8)},
        missing=int(first[7] or 0), total=int(first[16]))
