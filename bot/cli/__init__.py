"""The `raqib` command line: its subcommands, `init` and `doctor`."""
