"""`no-secret-literals`: where secrets may and may not appear, and that messages never echo them."""

from __future__ import annotations

import json

import pytest
from policy_harness import check

from policies.common.secrets import secret_name

SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


@pytest.mark.parametrize("name", ["DB_PASSWORD", "apiKey", "GITHUB_TOKEN", "client_secret", "PRIVATE_KEY", "credentials"])
def test_secret_setting_names_are_recognised(name: str) -> None:
    assert secret_name(name)


@pytest.mark.parametrize(
    "name", ["DB_SECRET_ARN", "secretRef", "PASSWORD_MIN_LENGTH", "tokenUrl", "kmsKeyId", "author", "tokens_per_minute", "PWD"]
)
def test_references_and_lookalikes_are_not_secret_names(name: str) -> None:
    assert not secret_name(name)


def test_kubernetes_secret_data_is_where_secrets_belong() -> None:
    props = {"metadata": {"namespace": "a"}, "stringData": {"DB_PASSWORD": {**SECRET, "value": "hunter2hunter2"}}}
    assert check("no-secret-literals", "kubernetes:core/v1:Secret", props).passed


def test_secure_string_parameter_is_allowed_but_a_plain_one_is_not() -> None:
    secure = {"type": "SecureString", "name": "/db/password", "value": "postgres://app:hunter2@db:5432/app"}
    plain = {**secure, "type": "String"}
    assert check("no-secret-literals", "aws:ssm/parameter:Parameter", secure).passed
    assert (
        "a password inside a connection string" in check("no-secret-literals", "aws:ssm/parameter:Parameter", plain).violations[0]
    )


def test_secret_named_container_env_literal_is_reported_without_its_value() -> None:
    props = {
        "metadata": {"namespace": "a"},
        "spec": {"template": {"spec": {"containers": [{"env": [{"name": "API_TOKEN", "value": "s3cr3t-value"}]}]}}},
    }
    (message,) = check("no-secret-literals", "kubernetes:apps/v1:Deployment", props).violations
    assert "spec.template.spec.containers[0].env[0].value" in message and "12 characters" in message
    assert "s3cr" not in message


def test_env_var_taken_from_a_secret_reference_passes() -> None:
    env = [{"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "web-env", "key": "API_TOKEN"}}}]
    props = {"metadata": {"namespace": "a"}, "spec": {"template": {"spec": {"containers": [{"env": env}]}}}}
    assert check("no-secret-literals", "kubernetes:apps/v1:Deployment", props).passed


def test_private_key_inside_an_ecs_container_definition_document_is_found() -> None:
    definitions = json.dumps(
        [{"name": "web", "environment": [{"name": "TLS_KEY_PEM", "value": "-----BEGIN RSA PRIVATE KEY-----\nMIIE..."}]}]
    )
    outcome = check("no-secret-literals", "aws:ecs/taskDefinition:TaskDefinition", {"containerDefinitions": definitions})
    assert "containerDefinitions[0].environment[0].value holds a private key" in outcome.violations[0]


def test_provider_secret_fields_are_not_scanned() -> None:
    assert check("no-secret-literals", "aws:rds/instance:Instance", {"password": "correct-horse-battery"}).passed
