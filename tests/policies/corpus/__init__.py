"""A corpus of small, realistic Pulumi programs, insecure and compliant, written from CIS Benchmarks, Checkov,
AWS Foundational Security Best Practices and awsguard checks (not from the shipped stacks' shapes).

Each program registers resources with the real provider SDKs; `evaluate` synthesizes it as a preview (outputs of
other resources unknown) and runs both packs over it with its environment's policy-pack-config files, the way
`rollway preview` does. `bench/policy_corpus.py` prints the detection figures; `test_corpus.py` pins them.
"""
