"""Public-site pages for people of the pool: applying, their home, qualification tests."""
