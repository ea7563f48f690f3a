"""What the HTTP layer shares: forms and their rules, htmx answers, the signed-in user, security
headers, rate limits, error pages, template filters, the row cache and the CSV export."""
