"""Saving turns: reconnect-safe, and two connections never overwrite each other's words."""

from __future__ import annotations

import pytest

from conftest import Cast
from consultations import services
from consultations.models import Turn

pytestmark = pytest.mark.django_db


def test_saving_the_same_turn_twice_keeps_one_row(cast: Cast) -> None:
    consultation = services.start_consultation(cast.patient)
    services.record_turn(consultation, 1, "patient", "I have a cough")
    services.record_turn(consultation, 1, "patient", "I have a cough")
    assert Turn.objects.filter(consultation=consultation).count() == 1


def test_a_colliding_turn_number_moves_up_instead_of_overwriting(cast: Cast) -> None:
    consultation = services.start_consultation(cast.patient)
    services.record_turn(consultation, 1, "patient", "I have a cough")
    services.record_turn(consultation, 1, "assistant", "How long have you had it?")
    services.record_turn(consultation, 1, "patient", "and a mild fever")
    services.record_turn(consultation, 1, "assistant", "Have you measured your temperature?")
    saved = list(Turn.objects.filter(consultation=consultation).values_list("index", "speaker", "text"))
    assert saved == [
        (1, "patient", "I have a cough"),
        (1, "assistant", "How long have you had it?"),
        (2, "patient", "and a mild fever"),
        (2, "assistant", "Have you measured your temperature?"),
    ]
