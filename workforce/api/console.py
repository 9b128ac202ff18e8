"""Vendor-staff API for the expert pool: pool search and profiles."""
