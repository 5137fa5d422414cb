"""llmtrack: query a bundled, sourced catalog of affordable LLMs."""

__version__ = "0.1.0"
