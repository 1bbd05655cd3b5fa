"""Group requests: the public form "Request a walk for your group"."""
