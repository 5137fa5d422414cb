"""The commands, one module per group; each registers its commands on `llmtrack.cli.app`."""
