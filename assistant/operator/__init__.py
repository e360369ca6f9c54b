"""Operator editing of market data: validated, versioned updates and rollbacks of prompts/<id>/.

`store` keeps versions and the audit trail in SQLite; `editor` validates, publishes, rolls back,
diffs and tries drafts; `assistant.api.operator` is the HTTP face of both."""

from assistant.operator.editor import MarketEditor, make_operator

__all__ = ["MarketEditor", "make_operator"]
