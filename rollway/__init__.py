"""Rollway, the tool: the `rollway` command (`rollway.cli`), the offline preview engine (`rollway.preview`,
`rollway.engine`), the release controller (`rollway.rollout`) and the test kit (`rollway.testing`).

Importing `rollway` loads nothing else: each sub-package is imported where it is used.
"""
