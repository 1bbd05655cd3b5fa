"""Assembling a draft tour from other files: a route in one, stops in another.

``sources`` reads each file into features, ``fieldmap`` maps their properties onto the
profile's, ``assembly_order`` decides the stop order and ``assemble`` builds and checks
the document.  Nothing here stores anything.
"""
