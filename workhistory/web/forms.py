"""Every form of the app, declared one way: WTForms fields whose rule is a `Cleaned` cleaner.

A form keeps every submitted value as the raw text the user typed (so a re-rendered form shows
their input unchanged) and, once `validate()` passes, holds the cleaned values in `values`.

The artifact form is partial on update (SPEC §5): a field absent from the submission is neither
validated nor changed; a field present but empty clears an optional value (None, '' for the
description, [] for the skill ids) and is an error for the title, the type and the visibility.
On create an absent title is an error and other absent fields take the database defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import EmailField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import StopValidation

from workhistory.data.artifacts import WorkArtifactEntry
from workhistory.data.errors import InvalidData
from workhistory.data.search import SORTS, Filters
from workhistory.data.skills import Skill
from workhistory.web import dates, imports, rules

TYPE_LABELS = {
    "document": "Document",
    "code": "Code",
    "analysis": "Analysis",
    "presentation": "Presentation",
    "design": "Design",
    "process": "Process",
    "other": "Other",
}
VISIBILITY_LABELS = {"private": "Private: only you", "team": "Team: your workspace"}


class Cleaned:
    """A field's rule: run `clean` on the submitted text (the list of values when `many`)
    and keep the result as `field.cleaned`; a `ValueError` becomes the field's error."""

    def __init__(self, clean: Callable[[Any], Any], *, many: bool = False):
        self.clean = clean
        self.many = many

    def __call__(self, form, field) -> None:
        values = field.raw_data or [""]
        try:
            # A single-valued field sent twice counts as its first value, as WTForms reads it.
            field.cleaned = self.clean(values if self.many else values[0])
        except ValueError as exc:
            field.refusal = exc  # kept: some refusals carry more than words (an HTTP status)
            raise StopValidation(str(exc)) from None


class SentOnly:
    """Partial updates: skip the rest of a field's rules when the request did not send it.
    On create, the fields in `form.REQUIRED` are checked even when absent."""

    def __call__(self, form, field) -> None:
        if field.raw_data or (not form.partial and field.name in form.REQUIRED):
            return
        raise StopValidation()  # no message: not an error, just not part of this change


_UNSET = object()


class RuleForm(FlaskForm):
    """A form whose fields carry `Cleaned` rules; `values` maps each checked field to its
    cleaned value once `validate()` passed (empty otherwise)."""

    def validate(self, extra_validators=None) -> bool:
        for field in self:
            field.cleaned = _UNSET
        valid = super().validate(extra_validators)
        self.values = {
            field.name: field.cleaned for field in self if field.cleaned is not _UNSET
        } if valid else {}
        return valid


class SkillIdsField(StringField):
    """Text of comma or newline separated skills; a repeated field (the chips) is joined for
    redisplay."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = ", ".join(valuelist) if len(valuelist) > 1 else valuelist[0]


class ChoiceField(StringField):
    """A <select>: `choices` maps values to labels. The raw value is kept like any text, so
    an unknown value is reported by its rule rather than dropped while processing."""

    def __init__(self, label: str, *, choices: dict[str, str], **kwargs):
        super().__init__(label, **kwargs)
        self.choices = list(choices.items())


def _artifact_field(field_class, label: str, clean, *, many: bool = False, **kwargs):
    return field_class(label, validators=[SentOnly(), Cleaned(clean, many=many)], **kwargs)


class ArtifactForm(RuleForm):
    """Create or (with `partial=True`) update an artifact. See the module docstring."""

    REQUIRED = frozenset({"title"})
    # On-screen order: the first invalid field in it gets focus.
    FIELDS = ("title", "description", "artifact_type", "artifact_date",
              "estimated_hours_saved", "visibility", "source_url", "suggested_skill_ids")

    title = _artifact_field(StringField, "Title", rules.clean_title)
    description = _artifact_field(TextAreaField, "Description", rules.clean_description)
    artifact_type = _artifact_field(ChoiceField, "Type", rules.clean_type,
                                    choices=TYPE_LABELS, default="other")
    artifact_date = _artifact_field(StringField, "Date of the work", rules.clean_date,
                                    description="A year, a month or a day:"
                                                " 2019, Mar 2019 or 14 Mar 2019")
    estimated_hours_saved = _artifact_field(StringField, "Hours saved", rules.clean_hours)
    visibility = _artifact_field(ChoiceField, "Who can see it", rules.clean_visibility,
                                 choices=VISIBILITY_LABELS, default="private")
    source_url = _artifact_field(StringField, "Link", rules.clean_url)
    suggested_skill_ids = _artifact_field(SkillIdsField, "Skills", rules.clean_skill_ids,
                                          many=True)
    version = _artifact_field(HiddenField, "Version", rules.clean_version)

    def __init__(self, *args, partial: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.partial = partial
        # The skills the picker shows as chips, with their labels (see `show_skills`).
        self.chips: list[Skill] = []

    @classmethod
    def for_entry(cls, entry: WorkArtifactEntry) -> ArtifactForm:
        """A form filled with a saved artifact (the edit form), ignoring any request body."""
        form = cls(formdata=None, data=display_values(entry), partial=True)
        form.chips = entry.skills
        return form

    @property
    def skill_values(self) -> list[str]:
        """The skills the request sent, as typed (at most 40), or None when it sent none."""
        raw = self.suggested_skill_ids.raw_data
        return rules.split_skills(raw)[:40] if raw else None

    def show_skills(self, chips: list[Skill]) -> None:
        """Show `chips` (the sent skills with their labels) in the picker, and the same as
        text in the box without JavaScript."""
        self.chips = chips
        if not self.suggested_skill_ids.errors:  # else the text stays exactly as typed
            self.suggested_skill_ids.data = skills_text(chips)

    def refuse(self, exc: InvalidData) -> None:
        """Show a refusal by the database beside its field, or at the top of the form."""
        if exc.field in self.FIELDS:
            self[exc.field].errors = [*self[exc.field].errors, exc.public_message]
        else:
            self.form_errors.append(exc.public_message)

    @property
    def changes(self) -> dict[str, Any]:
        """The cleaned column values to write (after a successful `validate()`). The date's
        one field sets two columns: the date (a month or a year as its first day) and how
        precise it is."""
        changes = {name: value for name, value in self.values.items() if name in self.FIELDS}
        if "artifact_date" in changes:
            when = changes["artifact_date"]
            changes["artifact_date"], changes["artifact_date_precision"] = when or (None, "day")
        return changes

    @property
    def expected_version(self) -> int | None:
        return self.values.get("version")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.version.errors:  # an out-of-date form is the form's problem, not a field's
            self.form_errors.extend(self.version.errors)
            self.version.errors = []
        return valid

    def fill_absent(self, entry: WorkArtifactEntry, version: int | None = None) -> None:
        """Show `entry`'s saved values in fields the request did not send (and its version),
        so re-submitting the re-rendered form never clears what the user did not touch."""
        saved = display_values(entry)
        for name in self.FIELDS:
            if not self[name].raw_data:
                self[name].data = saved[name]
        if not self.suggested_skill_ids.raw_data:
            self.chips = entry.skills
        if version is not None or not self.version.raw_data:
            self.version.data = str(version if version is not None else entry.version)

    @property
    def focus(self) -> str:
        """What gets focus when the form is shown: the first invalid field in on-screen order,
        else the form's own message ("form"), else the title."""
        first_invalid = next((name for name in self.FIELDS if self[name].errors), None)
        return first_invalid or ("form" if self.form_errors else "title")


def display_values(entry: WorkArtifactEntry) -> dict[str, str]:
    """The saved artifact as the strings its form fields show."""
    return {
        "title": entry.title,
        "description": entry.description,
        "artifact_type": entry.artifact_type,
        "artifact_date": (dates.text(entry.artifact_date, entry.artifact_date_precision)
                          if entry.artifact_date else ""),
        "estimated_hours_saved": rules.format_hours(entry.estimated_hours_saved),
        "visibility": entry.visibility,
        "source_url": entry.source_url or "",
        "suggested_skill_ids": skills_text(entry.skills),
        "version": str(entry.version),
    }


def skills_text(chips: list[Skill]) -> str:
    """Skills as the text box without JavaScript shows them: each by its label, which saving
    resolves back to the same skill (a preferred label is unique and wins), except a label
    with a comma (the separator), shown by its id."""
    return ", ".join(s.id if "," in s.label or s.unknown else s.label for s in chips)


def import_check(fields: dict[str, list[str]]) -> tuple[dict[str, Any] | None, list[str]]:
    """One imported row through the artifact form's own rules, as a create: its column values
    (None when invalid) and its errors, each named by its field's label."""
    form = ArtifactForm(formdata=MultiDict([(name, text) for name, texts in fields.items()
                                            for text in texts if name in ArtifactForm.FIELDS]),
                        meta={"csrf": False})
    if form.validate():
        return form.changes, []
    return None, [f"{form[name].label.text}: {message}" for name in ArtifactForm.FIELDS
                  for message in form[name].errors] + list(form.form_errors)


def import_values(fields: dict[str, list[str]]) -> dict[str, Any]:
    """The column values of an imported row, or `ValueError` with its errors (confirming an
    import runs every row through the rules again)."""
    values, errors = import_check(fields)
    if values is None:
        raise ValueError(" ".join(errors))
    return values


class ImportForm(RuleForm):
    """The upload of an import file; `values["file"]` is the `imports.Upload` read from it."""

    file = FileField("CSV or JSON file", validators=[Cleaned(imports.read_upload)])

    @property
    def status(self) -> int:
        """The HTTP status of a refused file (413 too large, 415 wrong kind, else 422)."""
        return getattr(getattr(self.file, "refusal", None), "status", 422)


class ShareForm(RuleForm):
    """A new share link: a label, an expiry, all team artifacts or a chosen set."""

    EXPIRY = {"7": "In 7 days", "30": "In 30 days", "90": "In 90 days", "never": "Never"}
    SCOPE = {"team": "All my team artifacts", "chosen": "Only the artifacts I choose"}

    label = StringField("Label", validators=[Cleaned(rules.clean_share_label)],
                        description="Only you see it, in this list.")
    expiry = ChoiceField("Stops working", choices=EXPIRY, default="30",
                         validators=[Cleaned(rules.clean_expiry)])
    scope = ChoiceField("What it shows", choices=SCOPE, default="team",
                        validators=[Cleaned(rules.clean_share_scope)])
    artifact_ids = StringField("Artifacts", validators=[Cleaned(rules.clean_artifact_ids,
                                                                many=True)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.values["scope"] == "chosen" and not self.values["artifact_ids"]:
            self.artifact_ids.errors.append("Choose at least one artifact, or share all of"
                                            " your team artifacts.")
            valid = False
        return valid

    @property
    def chosen(self) -> set[str]:
        """The ids ticked in the submission, to keep them ticked when the form comes back."""
        return set(self.artifact_ids.raw_data or [])


# --- Accounts -------------------------------------------------------------------------------
def _account_field(field_class, label: str, clean, **kwargs):
    return field_class(label, validators=[Cleaned(clean)], **kwargs)


class SignupForm(RuleForm):
    workspace = _account_field(
        StringField, "Workspace name", rules.clean_name,
        description="Your team or organisation, e.g. “Northwind Analytics”.",
    )
    name = _account_field(StringField, "Your name", rules.clean_name)
    email = _account_field(EmailField, "Email", rules.clean_email)
    password = _account_field(
        PasswordField, "Password", rules.clean_new_password,
        description=f"{rules.PASSWORD_MIN} to {rules.PASSWORD_MAX} characters.",
    )


class LoginForm(RuleForm):
    email = _account_field(EmailField, "Email", rules.clean_login_email)
    password = _account_field(PasswordField, "Password", rules.clean_password)
    next = HiddenField()


class PasswordChangeForm(RuleForm):
    current_password = _account_field(PasswordField, "Current password", rules.clean_password)
    new_password = _account_field(
        PasswordField, "New password", rules.clean_new_password,
        description=f"{rules.PASSWORD_MIN} to {rules.PASSWORD_MAX} characters.",
    )


class JoinForm(RuleForm):
    """Sign-up through an invite: the same fields as SignupForm; the invite names the
    workspace."""

    name = SignupForm.name
    email = SignupForm.email
    password = SignupForm.password


# --- Search and filters ---------------------------------------------------------------------
SORT_LABELS = {"date": "Newest first", "hours": "Most hours saved", "title": "Title A–Z",
               "updated": "Recently updated"}


_filter_field = _account_field  # declared like the account forms: a field and its rule


class FilterForm(RuleForm):
    """The search box and filters of a list (GET, no CSRF: it changes nothing). A value that
    is not valid is left out of `filters` (the list shows as if it were not given) and the
    control shows its default, so what the page says is what it applied."""

    class Meta:
        csrf = False

    q = _filter_field(StringField, "Search", rules.clean_query)
    type = _filter_field(ChoiceField, "Type", rules.clean_type_filter,
                         choices={"": "All types", **TYPE_LABELS})
    skill = _filter_field(StringField, "Skill", rules.clean_skill_filter)
    visibility = _filter_field(ChoiceField, "Who can see it", rules.clean_visibility_filter,
                               choices={"": "Anyone", "private": "Private", "team": "Team"})
    year = _filter_field(StringField, "Year", rules.clean_year_filter)
    sort = _filter_field(ChoiceField, "Sort", rules.clean_sort, choices=SORT_LABELS)

    @classmethod
    def from_args(cls, args) -> FilterForm:
        """The form read from a query string (a MultiDict); each field keeps its first value."""
        form = cls(formdata=args)
        form.validate()
        for field in form:
            if field.errors:
                field.data = ""  # not applied: the control shows its default
        return form

    def _applied(self, name: str):
        cleaned = getattr(self[name], "cleaned", _UNSET)
        return None if cleaned is _UNSET else cleaned

    @property
    def filters(self) -> Filters:
        return Filters(q=self._applied("q") or "", artifact_type=self._applied("type"),
                       skill=self._applied("skill"), visibility=self._applied("visibility"),
                       year=self._applied("year"), sort=self._applied("sort") or SORTS[0])

    def year_choices(self, years: tuple[int, ...]) -> list[tuple[str, str]]:
        """The year filter's options: any year, then the years with an artifact (newest
        first) and the applied year even when nothing is left in it."""
        applied = self.filters.year
        shown = sorted(set(years) | ({applied} if applied is not None else set()), reverse=True)
        return [("", "Any year")] + [(f"{y:04d}", f"{y:04d}") for y in shown]

    def query(self, **changes) -> dict[str, str]:
        """The applied filters as query parameters, without the defaults (for links and the
        pushed URL), with `changes` applied (None drops a parameter)."""
        f = self.filters
        params = {"q": f.q, "type": f.artifact_type, "skill": f.skill,
                  "visibility": f.visibility,
                  "year": None if f.year is None else f"{f.year:04d}",
                  "sort": None if f.sort == SORTS[0] else f.sort}
        params.update(changes)
        return {k: str(v) for k, v in params.items() if v not in (None, "")}
