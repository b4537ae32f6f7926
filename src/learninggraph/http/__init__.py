"""The HTTP edge: ASGI, paths and key segments, bodies, tokens, Graph JSON and the error envelope."""
