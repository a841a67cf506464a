import datetime as dt

import pytest
import time_machine

from injections.models import PlannedDose
from injections.tasks import roll_planned_doses

from .conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_periodic_task_rolls_the_horizon_forward(regimen, patient):
    before = PlannedDose.objects.count()
    with time_machine.travel(NOW + dt.timedelta(days=40), tick=False):
        assert roll_planned_doses() == 1
    assert PlannedDose.objects.count() > before  # maintenance doses came into view
    assert PlannedDose.objects.filter(status="missed").count() == 6  # nobody logged induction
