"""One folder per Graph resource: entity, repository, service, routes."""
