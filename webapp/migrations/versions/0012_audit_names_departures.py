"""audit log in the one vocabulary: what was recorded as ``session.*`` on ``session:<id>``
is ``departure.*`` on ``departure:<id>`` (data only, no schema change)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# ``||`` and ``substr`` mean the same on SQLite and PostgreSQL.  ``_`` matches any one
# character in LIKE, so the prefixes are compared with ``substr`` instead.
RENAME = """
UPDATE audit_log
SET action = CASE WHEN substr(action, 1, {old_len}) = '{old}.'
                  THEN '{new}.' || substr(action, {old_len} + 1) ELSE action END,
    target = CASE WHEN substr(target, 1, {old_len}) = '{old}:'
                  THEN '{new}:' || substr(target, {old_len} + 1) ELSE target END
WHERE substr(action, 1, {old_len}) = '{old}.' OR substr(target, 1, {old_len}) = '{old}:'
"""


def _rename(old: str, new: str) -> None:
    op.execute(RENAME.format(old=old, new=new, old_len=len(old) + 1))


def upgrade() -> None:
    _rename('session', 'departure')


def downgrade() -> None:
    _rename('departure', 'session')
