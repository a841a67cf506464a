"""Local wall-clock time and UTC: the one definition every app uses.

Times are stored in UTC; schedules, reminders, sample times and "today" live in the patient's
IANA zone. Daylight saving, as the product decided (docs/schedules.md): a local time that does
not exist (clocks spring forward over it) is the first valid instant after the gap; a local time
that happens twice (clocks fall back) is its first occurrence (``fold=0``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo


def to_utc(day: dt.date, time_of_day: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant of a local wall-clock time in ``tz``.

    Daylight saving, as the product decided (docs/schedules.md):
    - a local time that does not exist (clocks spring forward over it) becomes the first valid
      time after the gap, i.e. the instant the clocks change (02:30 on 8 Mar 2026 in New York
      is due at 03:00 EDT);
    - a local time that happens twice (clocks fall back) is due once, at its first occurrence
      (fold=0, i.e. still on summer time).
    """
    naive = dt.datetime.combine(day, time_of_day.replace(tzinfo=None))
    first = naive.replace(tzinfo=tz, fold=0)
    utc = first.astimezone(dt.UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == naive:
        return utc  # exists (once or twice; fold=0 picked the first)
    # In a gap: fold=0 reads the wall time with the offset before the change (too late an
    # instant), fold=1 with the offset after (too early). The change lies between the two.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)
    high = utc
    if low > high:
        low, high = high, low
    before = low.astimezone(tz).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(tz).utcoffset() == before:
            low = mid
        else:
            high = mid
    return high.replace(microsecond=0)


def local_day(instant: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.date:
    """The patient's calendar day at ``instant``."""
    return instant.astimezone(tz).date()


# --- Showing a time: the one rule -------------------------------------------------------------
# A time is shown in the zone of the patient whose data it is (to the patient and to their
# clinicians alike), in one of these formats, never as raw UTC or ISO. Where it could confuse
# (a clinician reading a patient's data), the zone is named: "17:59 (New York time)".
FORMATS = ("datetime", "date", "time", "short")


def zone_name(zone: str | dt.tzinfo) -> str:
    """A zone as people say it: "America/New_York" is "New York time", UTC is "UTC"."""
    key = getattr(zone, "key", None) or str(zone)
    if key in ("UTC", "Etc/UTC", "GMT", "Etc/GMT"):
        return "UTC"
    if key.startswith("Etc/GMT"):
        # POSIX signs: Etc/GMT+5 is five hours *behind* UTC. Say the offset people read.
        hours = -int(key.removeprefix("Etc/GMT"))
        return f"UTC{hours:+d}".replace("-", "−")
    return key.rsplit("/", 1)[-1].replace("_", " ") + " time"


def local_text(value: dt.datetime, zone: str | dt.tzinfo, kind: str = "datetime", *,
               label: bool = False) -> str:
    """``value`` (an aware datetime) as wall-clock text in ``zone`` (an IANA name or tzinfo):

    - ``datetime``: "Wed 7 Oct 2026, 17:59"
    - ``date``: "Wed 7 Oct 2026"
    - ``time``: "17:59"
    - ``short``: "Wed 7 Oct, 17:59" (lists where the year goes without saying)

    ``label`` adds the zone: "17:59 (New York time)". A naive datetime is refused: it has no
    instant to convert.
    """
    if value.tzinfo is None:
        raise ValueError("local_text needs an aware datetime")
    tz = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone
    local = value.astimezone(tz)
    day = f"{local:%a} {local.day} {local:%b}"
    if kind == "datetime":
        text = f"{day} {local.year}, {local:%H:%M}"
    elif kind == "date":
        text = f"{day} {local.year}"
    elif kind == "time":
        text = f"{local:%H:%M}"
    elif kind == "short":
        text = f"{day}, {local:%H:%M}"
    else:
        raise ValueError(f"unknown time format {kind!r}; one of {FORMATS}")
    return f"{text} ({zone_name(tz)})" if label else text
