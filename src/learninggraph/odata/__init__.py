"""OData query options: parsing and validating ``$filter``, ``$select``, ``$orderby`` and paging."""
