"""`python -m gatehouse_sim`."""

from gatehouse_sim.cli import main

raise SystemExit(main())
