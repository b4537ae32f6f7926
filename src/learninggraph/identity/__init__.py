"""Identity: the directory, signing keys, access tokens and the token service that issues them."""
