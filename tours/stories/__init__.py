"""Residents' contributions: places and stories proposed by the people whose stories the
walks tell, what each teller consented to, and where a contribution sits in a tour.

- ``models``: the tables (a contribution, its consent record, its photos and recording,
  the coordinators' edits).
- ``consent``: the choices a teller makes and the rules between them.
- ``contributions``: taking a proposal (once, however often it is sent) and reading them.
- ``document``: a contribution's marks in a tour document, its credit line, and the
  document as a given use (public page, guide script, kit or export) may show it.
- ``withdrawal``: a teller taking their story back, from every tour version, its row and
  its emails, in one transaction; what the confirmation page lists.
- ``traces``: where copies of a contribution's words end up (emails, audit details) and
  forgetting them there; the purge rule of tellers' contact addresses.
"""
