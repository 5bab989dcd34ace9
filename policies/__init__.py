"""Rollway's CrossGuard policy packs: `policies.security` and `policies.cost`, with shared helpers in
`policies.common`. See docs/policies.md for how to run them with the Pulumi CLI."""
