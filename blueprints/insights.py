"""Insights: where the hours saved come from, as charts drawn on the server (SPEC §12).

One page, read in one transaction (`insights.insights`): hours saved by type, by year and by
skill, and the artifacts that save the most. Each chart is inline SVG from
`templates/insights/_chart.html` (no script, no inline style) beside a table of the same
numbers, which is what assistive technology reads.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from workhistory.data import insights as data
from workhistory.web.context import current_actor, get_db
from workhistory.web.login import login_required

bp = Blueprint("insights", __name__)


@bp.get("/portfolio/insights")
@login_required
def page():
    """Show the signed-in user's hours saved, grouped four ways."""
    return render_template("insights/page.html",
                           insights=data.insights(get_db(), current_actor()))
