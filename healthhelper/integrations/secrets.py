"""Load application secrets from AWS Secrets Manager into the environment at start-up.

The secret is a JSON object whose keys are environment variable names
(``SECRET_KEY``, ``DATABASE_URL``, ``DEEPGRAM_API_KEY`` ...). Values already set
in the real environment win, so an operator can always override one setting
without editing the secret.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping


class SecretsLoadError(RuntimeError):
    pass


def fetch_secret_values(secret_id: str, region: str | None = None, endpoint_url: str | None = None) -> dict[str, str]:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("secretsmanager", region_name=region, endpoint_url=endpoint_url)
    try:
        response = client.get_secret_value(SecretId=secret_id)
    except (BotoCoreError, ClientError) as exc:
        raise SecretsLoadError(f"cannot read secret {secret_id!r}: {exc}") from exc
    try:
        values = json.loads(response["SecretString"])
    except (KeyError, json.JSONDecodeError) as exc:
        raise SecretsLoadError(f"secret {secret_id!r} is not a JSON object of settings") from exc
    if not isinstance(values, dict):
        raise SecretsLoadError(f"secret {secret_id!r} is not a JSON object of settings")
    return {str(key): str(value) for key, value in values.items()}


def load_secrets_into_environment(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Copy the secret's keys into ``environ`` (without overriding); return the names loaded."""
    secret_id = environ.get("AWS_SECRETS_MANAGER_SECRET_ID")
    if not secret_id:
        return []
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    values = fetch_secret_values(secret_id, region, environ.get("AWS_SECRETS_MANAGER_ENDPOINT_URL") or None)
    loaded = [key for key in values if key not in environ]
    for key in loaded:
        environ[key] = values[key]
    return loaded
