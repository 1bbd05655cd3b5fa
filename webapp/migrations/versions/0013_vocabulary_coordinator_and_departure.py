"""one vocabulary in stored values: the role "admin" is "coordinator", and what was called
a session is a departure (the audit detail of check-ins and scripts, a booking's cancel
reason, the mail kind of a cancelled departure; 0012 renamed the audit actions and targets)

Data only; the schema does not change.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# (table, column, old value, new value) for whole values.
VALUES = [
    ('user_accounts', 'role', 'admin', 'coordinator'),
    ('bookings', 'cancel_reason', 'session_cancelled', 'departure_cancelled'),
    ('outbox_messages', 'kind', 'session_cancelled', 'departure_cancelled'),
]
# The audit detail naming a departure, and the actions that wrote it (check-ins, scripts).
DETAIL_OLD, DETAIL_NEW = 'session', 'departure'
DETAIL_ACTIONS = ('checkin', 'script.save')


def _rename(old_to_new: bool) -> None:
    for table, column, old, new in VALUES:
        before, after = (old, new) if old_to_new else (new, old)
        op.execute(
            sa.text(f'UPDATE {table} SET {column} = :after WHERE {column} = :before').bindparams(
                before=before, after=after
            )
        )
    _rename_detail(*((DETAIL_OLD, DETAIL_NEW) if old_to_new else (DETAIL_NEW, DETAIL_OLD)))


def _rename_detail(before: str, after: str) -> None:
    audit = sa.table(
        'audit_log',
        sa.column('id', sa.Integer),
        sa.column('action', sa.String),
        sa.column('details', sa.JSON),
    )
    bind = op.get_bind()
    query = sa.select(audit.c.id, audit.c.details).where(audit.c.action.in_(DETAIL_ACTIONS))
    for row in bind.execute(query).all():
        details = row.details or {}
        if before in details and after not in details:
            renamed = {(after if key == before else key): value for key, value in details.items()}
            bind.execute(audit.update().where(audit.c.id == row.id).values(details=renamed))


def upgrade() -> None:
    _rename(old_to_new=True)


def downgrade() -> None:
    _rename(old_to_new=False)
