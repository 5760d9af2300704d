"""Use cases the CLI and the API call: one function per user action."""
