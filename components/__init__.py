"""Rollway components: cloud-agnostic contracts here, one folder per cloud with the implementations."""
