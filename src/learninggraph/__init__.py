"""learninggraph: a self-hostable server for the Microsoft Graph employee-learning API."""

__version__ = "0.1.0"
