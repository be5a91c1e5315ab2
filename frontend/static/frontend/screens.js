// What the screens say, worked out from frames without touching the page, so node tests it
// (tests/js/screens.test.mjs): shares of a choice, why a question closed, the podium, the personal summary
// at the end, and what the phone says about its connection and its answer.

/**
 * Each choice's share of the people who answered, in whole percent. A multiple-choice answer counts for
 * every choice it picks, so the shares may add up to more than 100.
 */
export function choiceShares(distribution, answered) {
  const counts = distribution || [];
  const people = Math.max(answered ?? 0, counts.length ? Math.max(...counts) : 0);
  return counts.map((count) => (people ? Math.round(((count ?? 0) / people) * 100) : 0));
}

/** The i18n key of the note for a closed question: time ran out, the host closed it, or everyone answered. */
export function closedNoteKey(reason) {
  if (reason === "deadline") return "q.time_up";
  if (reason === "host") return "q.closed_by_host";
  if (reason === "all_answered") return "q.all_answered";
  return "q.closed";
}

/** The first three places of a leaderboard ({rank, nickname, team, score} rows), ties sharing a place. */
export function podium(leaderboard) {
  return (leaderboard || []).filter((row) => typeof row.rank === "number" && row.rank <= 3).slice(0, 6);
}

/**
 * A contestant's round at its end: `results` (question -> result frame, as kept by the phone), `me` from the
 * welcome and the final `round`. Prefers the totals the server put in the last result frame.
 */
export function personalSummary(results, me, round) {
  const frames = Object.values(results || {}).sort((a, b) => a.question - b.question);
  const last = frames[frames.length - 1] || null;
  let best = 0;
  let run = 0;
  let correct = 0;
  for (const frame of frames) {
    run = frame.correct ? run + 1 : 0;
    best = Math.max(best, run, frame.streak ?? 0);
    if (frame.correct) correct += 1;
  }
  const team = me && me.team ? (round && round.teams ? round.teams.find((row) => row.name === me.team) : null) : null;
  return {
    correct: last && Number.isInteger(last.correct_count) ? last.correct_count : Math.max(correct, me?.correct ?? 0),
    bestStreak: last && Number.isInteger(last.best_streak) ? last.best_streak : best,
    rank: last ? last.rank : me?.rank ?? null,
    score: last ? last.score : me?.score ?? 0,
    participants: round ? round.participants ?? null : null,
    team: team ? { name: team.name, rank: team.rank, score: team.score, teams: round.teams.length } : null,
  };
}

/** Whether the offline banner shows: the page had a connection and has none that works now. */
export function offlineBanner(state, everConnected) {
  if (state === "offline") return true;
  return everConnected && (state === "stalled" || state === "reconnecting");
}

/** What the phone says about an answer that has no ack yet: sent on a working line, or not received yet. */
export function pendingNoteKey(state) {
  return state === "connected" ? "play.sending" : "play.not_received";
}

/** Whether a question is answered by typing (short answer, numerical) rather than with choices. */
export function isTyped(q) {
  return Boolean(q) && (q.kind === "short" || q.kind === "numerical");
}

/** A typed question's key as one line: the i18n key and its parameters (`key` from the payload). */
export function typedKeyLine(key) {
  if (!key) return null;
  if (Array.isArray(key.accepted)) return { key: "q.accepted", params: { answers: key.accepted.join(" / ") } };
  const unit = key.unit ? ` ${key.unit}` : "";
  const value = `${key.value}${unit}`;
  if (key.tolerance) return { key: "q.numeric_key_tolerance", params: { value, tolerance: `${key.tolerance}${unit}` } };
  return { key: "q.numeric_key", params: { value } };
}

/** Each common typed answer's share of the people who answered, in whole percent. */
export function typedShares(answers, answered) {
  const rows = answers || [];
  const people = Math.max(answered ?? 0, ...rows.map((row) => row.count ?? 0), 0);
  return rows.map((row) => (people ? Math.round(((row.count ?? 0) / people) * 100) : 0));
}
