"""The administrators' view of the job runner: queue depth, backlogs, periodic jobs' last
runs and results, failures (the same report as `flask jobs status`)."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l

from tremplin.platform import bp, jobs
from tremplin.platform.auth import admin_required
from tremplin.platform.hooks import AdminSection, register_admin_section


@bp.route("/administration/taches")
@admin_required
def admin_jobs():
    return render_template("platform/admin/jobs.html", report=jobs.status_report())


register_admin_section(
    AdminSection("platform.admin_jobs", _l("Tâches de fond"), order=95, admins_only=True)
)
