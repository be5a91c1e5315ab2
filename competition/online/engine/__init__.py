"""The online stage's rules: plain Python, no Django, time passed in. Tested with tables."""
