"""Run inside the project against a fault scenario's own database: the reminder sweep driven
with explicit clocks that jump forward 2 h and back 1 h (as a host clock might after an NTP
fix), with deliveries handed to the real worker. Prints JSON figures.

Everything happens in the past (the sweep's ``now`` stays behind the real clock) so that the
worker, which claims with the real clock, may send what each sweep wrote.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import zoneinfo

import django

django.setup()

from b12care.accounts.models import PatientProfile  # noqa: E402
from b12care.alerts import relay  # noqa: E402
from b12care.alerts.reminder_sweep import reminders_sweep  # noqa: E402
from injections.models import DoseStatus, Phase, PlannedDose, Regimen  # noqa: E402

HOURS = float(sys.argv[1]) if len(sys.argv) > 1 else 8.0
STEP = dt.timedelta(minutes=10)


def doses(t0: dt.datetime) -> list[PlannedDose]:
    """One dose per patient, due an hour after the patient's reminder time; reminder times
    spread over the run every 20 minutes."""
    made = []
    for n, patient in enumerate(PatientProfile.objects.order_by("pk")[:12]):
        fire = t0 + dt.timedelta(minutes=20 * n)
        patient.reminder_time = fire.astimezone(zoneinfo.ZoneInfo(patient.timezone)).time()
        patient.save(update_fields=["reminder_time"])
        regimen = Regimen.objects.create(patient=patient, status="active", name="Faults",
                                         start_date=(t0 - dt.timedelta(days=1)).date())
        phase = Phase.objects.create(regimen=regimen, kind="induction", order=1, dose=1,
                                     end_kind="open")
        made.append(PlannedDose.objects.create(
            regimen=regimen, phase=phase, patient=patient, sequence=1,
            due_at=fire + dt.timedelta(hours=1), window=dt.timedelta(hours=36),
            grace=dt.timedelta(hours=12), status="open"))
    return made


def clocks(t0: dt.datetime) -> list[dt.datetime]:
    """t0, +30 min, then a jump forward 2 h, back 1 h, then on in 10-minute steps."""
    times = [t0, t0 + dt.timedelta(minutes=30), t0 + dt.timedelta(hours=2, minutes=30),
             t0 + dt.timedelta(hours=1, minutes=30)]
    while times[-1] < t0 + dt.timedelta(hours=HOURS):
        times.append(times[-1] + STEP)
    return times


def main() -> None:
    real_now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    t0 = real_now - dt.timedelta(hours=HOURS + 0.5)
    made = doses(t0)
    taken = made[::3]  # every third dose is logged after its first reminder: later steps skip
    sweeps = 0
    for now in clocks(t0):
        reminders_sweep(now=now, enqueue=relay.deliver_batch_enqueue)
        sweeps += 1
        for dose in taken:
            if dose.status == DoseStatus.OPEN and now > dose.due_at:
                PlannedDose.objects.filter(pk=dose.pk).update(status=DoseStatus.TAKEN)
                dose.status = DoseStatus.TAKEN
    last = clocks(t0)[-1]
    print(json.dumps({"sweeps": sweeps, "doses": len(made), "until": last.isoformat()}))


main()
