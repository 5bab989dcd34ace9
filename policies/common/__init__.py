"""Helpers shared by the security and cost packs: defensive property reading, the policy wrapper, environment
resolution, tags, networks, Kubernetes workloads and secret detection."""
