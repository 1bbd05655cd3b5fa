"""The guide's debrief after a walk: the form on the phone console and what it says."""
