"""Planning in the console: scheduling and assigning with clash checks (coordinators), and
the guides' own availability and giving a walk back.  ``webapp.factory`` imports its
page modules so that their routes join the console blueprint."""
