"""outbox: index the due query's whole order (state, next_attempt_at, id)

A notice to every customer enqueues them all at the same instant; with the index on (state,
next_attempt_at) alone, each claim had to collect and sort every queued message to find the
first batch by id, so claiming 100,000 messages took time that grew with the square of the count.

Revision ID: 5d1c0e7a9b42
Revises: be4b3792c7ae
Create Date: 2026-11-22 23:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5d1c0e7a9b42"
down_revision: str | Sequence[str] | None = "be4b3792c7ae"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_outbox_messages_state_next", table_name="outbox_messages")
    op.create_index(
        "ix_outbox_messages_due",
        "outbox_messages",
        ["state", "next_attempt_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.create_index(
        "ix_outbox_messages_state_next",
        "outbox_messages",
        ["state", "next_attempt_at"],
        unique=False,
    )
