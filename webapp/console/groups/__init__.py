"""Coordinator pages of group requests: the queue, one request, accept, decline, propose."""
