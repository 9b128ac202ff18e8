"""Public-site routes of the expert pool: `people_patterns` for applicants and annotators,
`console_patterns` for vendor staff. Both are included by portal.urls_public."""

people_patterns: list = []
console_patterns: list = []
