"""Vendor console pages for the expert pool: search, profiles, vetting, staffing by fit."""
