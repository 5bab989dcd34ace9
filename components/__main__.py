"""Entry point of the Rollway component package: serves the component provider to the Pulumi engine."""

import sys
from pathlib import Path

# The engine runs this file from components/: the project root must be importable for `components.*`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider import main

from components.package import ComponentProvider

if __name__ == "__main__":
    main(ComponentProvider(), sys.argv[1:])
