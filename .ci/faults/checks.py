"""The invariants, asserted in SQL against the scenario's own database after each scenario.

- every acknowledged write stored once (a POST answered "saved" has exactly one row; none has
  two; a POST answered as failed was stored by nobody, or once after a safe retry);
- every notification delivered at least once and recorded once (no unsent or failed outbox row;
  each email row's stable Message-ID reached the SMTP sink; each in-app row has its message);
- every due reminder step sent once or skipped with a reason.
"""

from __future__ import annotations

from collections import Counter

from load import Record
from stack import OwnPostgres, SmtpSink, wait_for


def stored_tokens(pg: OwnPostgres) -> dict[tuple[int, str], int]:
    rows = pg.sql("select patient_id, form_token, count(*) from injections_injection "
                  "where form_token like 'faults-%%' group by patient_id, form_token")
    return {(patient, token): n for patient, token, n in rows}


def acknowledged_writes(pg: OwnPostgres, record: Record, seed: dict) -> tuple[dict, list[str]]:
    stored = stored_tokens(pg)
    patient_of = [p["patient_id"] for p in seed["patients"]]
    answers = record.of("post") + record.of("retry")
    saved = {(patient_of[a.who], a.token) for a in answers if a.status == 302}
    failed_first = [a for a in record.of("post") if a.status != 302]
    problems = []
    twice = [key for key, n in stored.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} form tokens stored more than once")
    lost = [key for key in saved if stored.get(key, 0) != 1]
    if lost:
        problems.append(f"{len(lost)} writes answered 'saved' but not stored once")
    never = {(patient_of[a.who], a.token) for a in failed_first} - saved
    ghost = [key for key in never if stored.get(key)]
    if ghost:
        problems.append(f"{len(ghost)} writes stored but answered as failed (never 'saved')")
    figures = {"posts": len(record.of("post")), "saved": len(saved),
               "failed_answers": len(failed_first),
               "statuses": dict(Counter(a.status for a in record.of("post")))}
    return figures, problems


def outbox_drained(pg: OwnPostgres, *, timeout: float) -> float:
    """Wait until no outbox row is waiting (the relay runs every 30 s, the reconciler 20 s)."""
    return wait_for(lambda: pg.sql("select count(*) from alerts_notification "
                                   "where sent_at is null and failed_at is null")[0][0] == 0,
                    timeout=timeout, what="every outbox row to be sent", every=1)


def message_id(notification_id: int) -> str:
    return f"<notification-{notification_id}@127.0.0.1>"


def notifications(pg: OwnPostgres, sink: SmtpSink, *, exactly_once: bool = False,
                  ) -> tuple[dict, list[str]]:
    rows = pg.sql("select id, channel, sent_at is not null, failed_at is not null "
                  "from alerts_notification")
    problems = []
    unsent = [r for r in rows if not r[2]]
    if unsent:
        problems.append(f"{len(unsent)} outbox rows not sent "
                        f"({sum(1 for r in unsent if r[3])} failed)")
    received = Counter(sink.ids())
    emails = [r[0] for r in rows if r[1] == "email"]
    missing = [i for i in emails if received[message_id(i)] < 1]
    if missing:
        problems.append(f"{len(missing)} email rows never reached the mail server")
    repeated = sum(1 for i in emails if received[message_id(i)] > 1)
    if exactly_once and repeated:
        problems.append(f"{repeated} emails delivered more than once without any kill")
    no_inbox = pg.sql("select count(*) from alerts_notification n left join "
                      "alerts_inappmessage m on m.notification_id = n.id "
                      "where n.channel = 'in_app' and m.id is null")[0][0]
    if no_inbox:
        problems.append(f"{no_inbox} in-app rows without their inbox message")
    recorded_twice = pg.sql(
        "select count(*) from (select 1 from alerts_notification group by coalesce(alert_id, 0), "
        "coalesce(reminder_id, 0), alert_round, channel, recipient_id having count(*) > 1) d"
    )[0][0]
    if recorded_twice:
        problems.append(f"{recorded_twice} events recorded more than once per channel")
    figures = {"notifications": len(rows), "emails": len(emails),
               "emails_repeated": repeated}
    return figures, problems


def reminders(pg: OwnPostgres, *, until) -> tuple[dict, list[str]]:
    counts = dict(pg.sql("select status, count(*) from alerts_reminderstep group by status"))
    problems = []
    pending = pg.sql("select count(*) from alerts_reminderstep "
                     "where status = 'pending' and fire_at <= %s", (until,))[0][0]
    if pending:
        problems.append(f"{pending} due reminder steps left pending")
    unexplained = pg.sql("select count(*) from alerts_reminderstep "
                         "where status = 'skipped' and reason = ''")[0][0]
    if unexplained:
        problems.append(f"{unexplained} reminder steps skipped without a reason")
    not_told = pg.sql("select count(*) from alerts_reminderstep s where s.status = 'sent' and "
                      "not exists (select 1 from alerts_notification n "
                      "where n.reminder_id = s.id)")[0][0]
    if not_told:
        problems.append(f"{not_told} reminder steps marked sent without a notification")
    return {"steps": counts}, problems
