"""HTTP views, one blueprint per resource, and `common` for what they share.

Views are thin: parse the form, call one data function, render one template (a page, or for
htmx `workhistory.web.htmx.answer`). Domain errors are not caught here but mapped to HTTP in
`workhistory.web.errors`, except where the answer carries the user's form (422, 409).
"""
