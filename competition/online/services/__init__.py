"""The online stage's one door for writes: identity, attempts, duels, fair play, qualification."""
