"""Persistence shared by every resource: connections, transactions, migrations, OData → SQL."""
