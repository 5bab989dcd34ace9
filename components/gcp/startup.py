"""cloud-init user data that runs one container on a Container-Optimized OS VM (instance-group runtime).

Secrets never enter instance metadata: the unit fetches them from Secret Manager with the VM's own
identity at start, into a root-only file on tmpfs (/run), and hands them to `docker run --env-file`.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

UNIT_NAME = "rollway-workload.service"
_SECRETS_FILE = "/run/rollway/secrets.env"
_PLAIN_FILE = "/etc/rollway/plain.env"
_FETCH_SCRIPT = "/etc/rollway/fetch-secrets.sh"
_GOOGLE_REGISTRY_SUFFIXES = ("-docker.pkg.dev", "gcr.io")

_FETCH_PREAMBLE = """#!/bin/bash
# Reads the workload's secrets from Secret Manager with the VM's service account.
set -euo pipefail
umask 077
mkdir -p /run/rollway
: > {secrets_file}
token="$(curl -sSf -H 'Metadata-Flavor: Google' \\
  'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token' \\
  | grep -o '"access_token": *"[^"]*"' | cut -d'"' -f4)"
fetch() {{
  curl -sSf -H "Authorization: Bearer ${{token}}" "https://secretmanager.googleapis.com/v1/$1/versions/latest:access" \\
    | grep -o '"data": *"[^"]*"' | cut -d'"' -f4 | base64 -d
}}
"""


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks, so the user data reads like the files it creates."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


def registry_host(image: str) -> str | None:
    """Registry host of an image reference, when it names one (`ghcr.io/a/b:1` -> `ghcr.io`)."""
    first = image.split("/", 1)[0]
    return first if "/" in image and ("." in first or ":" in first or first == "localhost") else None


def container_user_data(
    *,
    description: str,
    image: str,
    port: int,
    environment: Mapping[str, str],
    secret_names: Mapping[str, str],
) -> str:
    """cloud-config that runs `image` as a systemd unit publishing `port`.

    Args:
        description: Unit description (service and color).
        image: Container image reference.
        port: Port the container listens on (published on the VM's same port, where the firewall admits the LB).
        environment: Plain environment variables.
        secret_names: Env var -> Secret Manager secret resource name (`projects/<p>/secrets/<id>`).
    """
    files: list[dict[str, str]] = [
        {
            "path": _PLAIN_FILE,
            "permissions": "0644",
            "content": "".join(f"{key}={value}\n" for key, value in sorted(environment.items())),
        }
    ]
    pre: list[str] = ["ExecStartPre=-/usr/bin/docker rm -f workload"]
    host = registry_host(image)
    if host and host.endswith(_GOOGLE_REGISTRY_SUFFIXES):
        # Artifact Registry / GCR pulls authenticate as the VM's service account.
        pre.insert(0, f"ExecStartPre=/usr/bin/docker-credential-gcr configure-docker --registries={host}")
    env_files = [f"--env-file {_PLAIN_FILE}"]
    if secret_names:
        script = _FETCH_PREAMBLE.format(secrets_file=_SECRETS_FILE) + "".join(
            # An assignment (not an argument) so `set -e` stops the unit when a fetch fails.
            f'value="$(fetch {name})"\nprintf \'%s=%s\\n\' {var} "$value" >> {_SECRETS_FILE}\n'
            for var, name in sorted(secret_names.items())
        )
        files.append({"path": _FETCH_SCRIPT, "permissions": "0700", "content": script})
        # COS mounts writable paths noexec, so the script runs through bash rather than by its exec bit.
        pre.append(f"ExecStartPre=/bin/bash {_FETCH_SCRIPT}")
        env_files.append(f"--env-file {_SECRETS_FILE}")
    unit = "\n".join(
        [
            "[Unit]",
            f"Description={description}",
            "Wants=network-online.target",
            "After=network-online.target docker.service",
            "",
            "[Service]",
            "Environment=HOME=/home/rollway",
            "ExecStartPre=/bin/mkdir -p /home/rollway",
            *pre,
            f"ExecStart=/usr/bin/docker run --rm --name workload -p {port}:{port} {' '.join(env_files)} {image}",
            "ExecStop=/usr/bin/docker stop workload",
            "Restart=always",
            "RestartSec=5",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )
    files.append({"path": f"/etc/systemd/system/{UNIT_NAME}", "permissions": "0644", "content": unit})
    document = {"write_files": files, "runcmd": [["systemctl", "daemon-reload"], ["systemctl", "start", UNIT_NAME]]}
    return "#cloud-config\n" + yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, width=1000)
