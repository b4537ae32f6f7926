"""learningProvider: a provider registered in the tenant, parent of its contents and activities."""
