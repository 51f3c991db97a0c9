"""`python -m bot.cli`: the same as the `raqib` command."""

from bot.cli.main import main

raise SystemExit(main())
