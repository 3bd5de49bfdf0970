"""Fixtures shared by every app's tests: the five kinds of visitor of a patient's record."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import User
from accounts.tests.factories import AdminFactory, CareTeamFactory, ClinicianFactory, PatientFactory, confirmed_totp

REQUIRE_SERVICES = os.environ.get("HEALTHHELPER_REQUIRE_SERVICES") == "1"


def require_service(name: str, configured: bool) -> None:
    """Skip a service test on a laptop without it; in CI (HEALTHHELPER_REQUIRE_SERVICES=1) fail instead."""
    if configured:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required in CI but not configured")
    pytest.skip(f"{name} not configured (set it to run this test)")


def login_verified(client: Client, user: User) -> Client:
    """Log in and, for staff, mark the session as having passed TOTP."""
    client.force_login(user)
    if user.needs_mfa:
        device = confirmed_totp(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@dataclass
class Cast:
    patient: User
    other_patient: User
    clinician: User
    unassigned_clinician: User
    admin: User


@pytest.fixture
def cast(db: None) -> Cast:
    membership = CareTeamFactory()
    return Cast(
        patient=membership.patient,
        other_patient=PatientFactory(),
        clinician=membership.clinician,
        unassigned_clinician=ClinicianFactory(),
        admin=AdminFactory(),
    )


@pytest.fixture
def patient_client(cast: Cast) -> Client:
    return login_verified(Client(), cast.patient)


@pytest.fixture
def clinician_client(cast: Cast) -> Client:
    return login_verified(Client(), cast.clinician)


@pytest.fixture(scope="session", autouse=True)
def _close_consultation_writer_connections(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Consultation saves, library searches and Channels' database calls run on their own threads,
    each holding a persistent connection; close them before pytest-django drops the test database
    (PostgreSQL refuses while they are open)."""
    yield
    from asgiref.sync import SyncToAsync

    from consultations.consumers import close_library_connections
    from consultations.outbox import close_thread_connections, close_writer_connections

    with django_db_blocker.unblock():
        close_writer_connections()
        close_library_connections()
        close_thread_connections(SyncToAsync.single_thread_executor, 1)  # Channels' database_sync_to_async


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    """Give every test its own channel layer instance.

    Each async test runs on its own event loop, but a channel layer keeps asyncio locks and Redis
    pools bound to the loop that first used it. A Redis layer left holding a lock from a closed loop
    makes the next test's consumer wait forever on a future nobody can resolve (this hung CI).
    """
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _library_versions_looked_up_afresh() -> None:
    """Each test loads its own health library (or none); what another test's search saw does not apply."""
    from knowledge.services import forget_library_versions

    forget_library_versions()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    """PBKDF2 at production strength costs ~0.3 s per user; tests make hundreds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: object, tmp_path_factory: pytest.TempPathFactory) -> None:
    media = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = media  # type: ignore[attr-defined]
    storages = dict(settings.STORAGES)  # type: ignore[attr-defined]
    if storages["default"]["BACKEND"].endswith("FileSystemStorage"):
        storages["default"] = {**storages["default"], "OPTIONS": {"location": str(media)}}
        settings.STORAGES = storages  # type: ignore[attr-defined]
