"""Print the current TOTP code of a user's confirmed device (demo and support use on a laptop)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp

from accounts import services
from accounts.models import User


class Command(BaseCommand):
    help = "Print the current 6-digit TOTP code for USER_EMAIL (local/demo use)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email).first()
        device = services.confirmed_totp_device(user) if user else None
        if device is None:
            raise CommandError(f"{email} has no confirmed authenticator device")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        self.stdout.write(
            f"{code:0{device.digits}d}  (valid for {device.step - int(time.time() - device.t0) % device.step}s)"
        )
