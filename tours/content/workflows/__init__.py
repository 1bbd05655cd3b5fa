"""Workflows over stored tours: the only modules of ``tours.content`` that touch the database.

``bidean import`` (``intake``) and storing checked files (``storing``); the console's
import from uploaded files (``uploads``), the uploads kept until confirmed
(``staging``) and their ``preview``; drafts (``drafts``), coordinators' edits of a
stored document (``editing``) and forks (``fork``).
"""
