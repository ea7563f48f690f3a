"""Skills (SPEC §9): suggestions from the text, autocomplete, and the evidence of each skill.

Suggestions come from the in-process engine (`workhistory.skills`, no database); autocomplete
and evidence from PostgreSQL (`workhistory.data.skills`). Each URL answers an htmx request with
a fragment and a plain one with a page (or JSON at the `.json` URLs). Inputs are bounded
cheaply: at most `TEXT_MAX` characters of text are read, at most `CHOSEN_MAX` chosen skills.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from workhistory import skills as engine
from workhistory.data import skills
from workhistory.web import htmx
from workhistory.web.context import current_actor, get_db
from workhistory.web.login import login_required

bp = Blueprint("skills", __name__)

TEXT_MAX = 8000  # what the engine reads of title and description together
CHOSEN_MAX = 40


def _chosen() -> list[str]:
    values = request.values.getlist("suggested_skill_ids")[:CHOSEN_MAX]
    return [v.strip() for v in values if v.strip()]


def _suggestions(limit: int) -> list:
    title = request.form.get("title", "")[:TEXT_MAX]
    description = request.form.get("description", "")[:TEXT_MAX - len(title)]
    return engine.suggest(title, description, exclude=_chosen(), limit=limit)


@bp.post("/skills/suggest")
@login_required
def suggest():
    """Suggest catalog skills for the form's title and description, as chips to add."""
    return render_template("skills/_suggestions.html", suggestions=_suggestions(engine.CHIPS))


@bp.post("/skills/suggest.json")
@login_required
def suggest_json():
    """Suggest catalog skills for a title and description, best first, with scores."""
    found = _suggestions(engine.JSON_LIMIT)
    return jsonify({"suggestions": [{"id": s.id, "label": s.label, "score": s.score}
                                    for s in found]})


def _search() -> tuple[str, list[skills.Skill]]:
    query = request.args.get("q", "")[:skills.QUERY_MAX]
    return query, skills.search(get_db(), current_actor(), query, exclude=_chosen())


@bp.get("/skills")
@login_required
def search():
    """Find skills by name: the combobox's options (htmx), or a page of results."""
    query, found = _search()
    if htmx.is_htmx():
        return render_template("skills/_options.html", found=found, query=query.strip())
    return render_template("skills/search.html", found=found, query=query)


@bp.get("/skills.json")
@login_required
def search_json():
    """Find skills by name, as JSON: at most ten, best first."""
    _query, found = _search()
    return jsonify({"skills": [skill.to_dict() for skill in found]})


@bp.get("/portfolio/skills")
@login_required
def evidence():
    """Show the signed-in user's skills ranked by the artifacts that show them."""
    return render_template("skills/evidence.html",
                           evidence=skills.evidence(get_db(), current_actor()))
