"""Model parts the components share: BIO tagging and decoding, pair features and head,
losses and initialisers. Imports nothing of the package but the Doc contract."""
