"""learningContent: a provider's catalogue entry, upserted by the provider's own externalId."""
