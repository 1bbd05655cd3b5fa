"""residents' contributions: proposals, their consent records, photos and recordings, edits

Tables of ``tours.stories.models``; nothing existing changes.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("submission_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tour_slug", sa.String(length=64), nullable=True),
        sa.Column("stop_id", sa.String(length=64), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("interface_language", sa.String(length=35), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("story", sa.Text(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("entered_by", sa.String(length=254), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("accepted_tour", sa.String(length=64), nullable=True),
        sa.Column("accepted_stop", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'withdrawn')",
            name=op.f("ck_contributions_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contributions")),
        sa.UniqueConstraint("public_id", name=op.f("uq_contributions_public_id")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_contributions_submission_key")),
    )
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contributions_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contributions_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_contributions_tour_slug"), ["tour_slug"], unique=False)

    op.create_table(
        "contribution_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("credit", sa.String(length=16), nullable=False),
        sa.Column("credit_name", sa.String(length=120), nullable=True),
        sa.Column("tour_pages", sa.Boolean(), nullable=False),
        sa.Column("guide_scripts", sa.Boolean(), nullable=False),
        sa.Column("kits", sa.Boolean(), nullable=False),
        sa.Column("photos", sa.Boolean(), nullable=False),
        sa.Column("audio", sa.Boolean(), nullable=False),
        sa.Column("licence", sa.String(length=16), nullable=False),
        sa.Column("age_16_or_over", sa.Boolean(), nullable=False),
        sa.Column("guardian_name", sa.String(length=120), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("paper_reference", sa.String(length=120), nullable=True),
        sa.Column("witness", sa.String(length=120), nullable=True),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("wording_language", sa.String(length=35), nullable=False),
        sa.Column("wording_version", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_contribution_consents_contribution_id_contributions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_consents")),
        sa.UniqueConstraint(
            "contribution_id", name=op.f("uq_contribution_consents_contribution_id")
        ),
    )
    op.create_table(
        "contribution_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("story", sa.Text(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_contribution_edits_contribution_id_contributions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_edits")),
    )
    with op.batch_alter_table("contribution_edits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contribution_edits_contribution_id"), ["contribution_id"], unique=False
        )

    op.create_table(
        "contribution_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Double(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('image', 'audio')", name=op.f("ck_contribution_media_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_contribution_media_contribution_id_contributions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_media")),
    )
    with op.batch_alter_table("contribution_media", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contribution_media_contribution_id"), ["contribution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contribution_media_key"), ["key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contribution_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_media_key"))
        batch_op.drop_index(batch_op.f("ix_contribution_media_contribution_id"))

    op.drop_table("contribution_media")
    with op.batch_alter_table("contribution_edits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_edits_contribution_id"))

    op.drop_table("contribution_edits")
    op.drop_table("contribution_consents")
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contributions_tour_slug"))
        batch_op.drop_index(batch_op.f("ix_contributions_status"))
        batch_op.drop_index(batch_op.f("ix_contributions_created_at"))

    op.drop_table("contributions")
