"""The administrators' operations page: readiness, backups, the last server errors."""

from __future__ import annotations

from flask import current_app, render_template

from tremplin.platform import backup, bp, health, observability
from tremplin.platform.auth import admin_required


@bp.route("/administration/exploitation")
@admin_required
def admin_operations():
    ok, checks = health.readiness()
    backups = backup.list_backups()
    return render_template(
        "platform/admin/operations.html",
        ready=ok,
        checks=checks,
        backups=backups,
        backup_check=checks.get("backup"),
        max_age_hours=current_app.config["BACKUP_MAX_AGE_HOURS"],
        backup_dir=backup.backup_dir(),
        errors=observability.recent_errors(50),
    )
