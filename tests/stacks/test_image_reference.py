"""Container images in stack config follow the OCI distribution reference grammar."""

from __future__ import annotations

import pytest

from stacks.config.model import image_reference

HEX64 = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.27",
        "ghcr.io/rollway/web:1.4.0",
        "localhost:5000/team/app:v1",
        "my-registry.example.com:443/team/app__x:v1.2-rc.1",
        "[::1]:5000/web",
        f"docker.io/library/nginx@sha256:{HEX64}",
        f"ghcr.io/acme/web:1.4.0@sha256:{HEX64}",
        "web:" + "t" * 128,
        "a/" + "b" * 253,  # 255 characters: the longest name
    ],
)
def test_valid_references_are_accepted(image: str) -> None:
    assert image_reference(image) == image


@pytest.mark.parametrize(
    "image",
    [
        "",
        "HTTP://Ghcr.io/UPPER/Web:::@@sha256:zz",
        "ghcr.io/UPPER/web",
        "web app",
        "-web",
        "web-",
        "web/",
        "web:",
        "web:" + "t" * 129,
        "web@sha256:abc",
        f"web@sha256:{HEX64[:-1]}",
        f"web@sha256:{HEX64}0",
        f"web@sha256:{HEX64.upper()}",
        "a/" + "b" * 254,  # 256 characters
    ],
)
def test_malformed_references_are_refused(image: str) -> None:
    with pytest.raises(ValueError, match="must"):
        image_reference(image)
