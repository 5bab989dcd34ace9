"""Every corpus program, in a stable order."""

from __future__ import annotations

from corpus.aws_programs import PROGRAMS as AWS
from corpus.gcp_azure_programs import PROGRAMS as GCP_AZURE
from corpus.kubernetes_programs import PROGRAMS as KUBERNETES
from corpus.program import Program

PROGRAMS: list[Program] = [*AWS, *GCP_AZURE, *KUBERNETES]
