"""The console in interface words: problem codes and refusals as translated sentences
(``sentences``), and the accounts pages (``accounts``)."""
