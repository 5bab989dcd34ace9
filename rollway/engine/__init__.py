"""The offline engine: runs a Pulumi program against a recording resource monitor with plausible mock outputs.

`rollway.preview` evaluates programs with it and `rollway.testing` asserts on what it records; import the
modules directly (`rollway.engine.run`, `rollway.engine.mocks`, `rollway.engine.values`).
"""
