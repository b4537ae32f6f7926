"""Injected faults: rules per tenant (and app, method, route) stored in the database, and their matcher."""
