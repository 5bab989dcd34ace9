"""Pulumi entry point: build every cloud the selected stack targets."""

from stacks import build_stack

build_stack()
