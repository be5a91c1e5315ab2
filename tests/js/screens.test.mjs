// screens.js: what the pages say, from frames alone.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  choiceShares,
  closedNoteKey,
  isTyped,
  offlineBanner,
  pendingNoteKey,
  personalSummary,
  podium,
  typedKeyLine,
  typedShares,
} from "../../frontend/static/frontend/screens.js";

describe("choice shares", () => {
  test("a multiple-choice share is of the people who answered, not of the picks", () => {
    // 4 people answered; 3 picked A, 2 picked B, 1 picked C: 6 picks.
    assert.deepEqual(choiceShares([3, 2, 1, 0], 4), [75, 50, 25, 0]);
  });

  test("a single-choice question's shares add up to the whole", () => {
    assert.deepEqual(choiceShares([1, 1, 2], 4), [25, 25, 50]);
  });

  test("nobody answered: every share is zero", () => {
    assert.deepEqual(choiceShares([0, 0], 0), [0, 0]);
  });

  test("a count of answered behind the distribution never gives a share over 100", () => {
    assert.deepEqual(choiceShares([5, 1], 3), [100, 20]);
  });
});

describe("why a question closed", () => {
  test("only a deadline says time is up", () => {
    assert.equal(closedNoteKey("deadline"), "q.time_up");
    assert.equal(closedNoteKey("host"), "q.closed_by_host");
    assert.equal(closedNoteKey("all_answered"), "q.all_answered");
  });

  test("after a reload the reason is unknown and the note says only that answers are closed", () => {
    assert.equal(closedNoteKey(undefined), "q.closed");
    assert.equal(closedNoteKey(null), "q.closed");
  });
});

describe("the podium", () => {
  test("the first three places, ties sharing a place", () => {
    const rows = [1, 2, 2, 4, 5].map((rank, i) => ({ rank, nickname: `p${i}`, score: 100 - i }));
    assert.deepEqual(
      podium(rows).map((row) => row.nickname),
      ["p0", "p1", "p2"],
    );
    const tied = [1, 1, 3, 3].map((rank, i) => ({ rank, nickname: `t${i}`, score: 1 }));
    assert.equal(podium(tied).length, 4);
  });

  test("an empty board has no podium", () => {
    assert.deepEqual(podium(undefined), []);
  });
});

describe("the personal summary at the end", () => {
  const results = {
    0: { question: 0, correct: true, streak: 1, rank: 3, score: 900 },
    1: { question: 1, correct: true, streak: 2, rank: 2, score: 1800 },
    2: { question: 2, correct: false, streak: 0, rank: 2, score: 1800, correct_count: 2, best_streak: 2 },
  };

  test("correct answers, best streak, rank and score come from the server's last result", () => {
    const summary = personalSummary(results, { team: null, correct: 2 }, { participants: 12, teams: [] });
    assert.deepEqual(summary, { correct: 2, bestStreak: 2, rank: 2, score: 1800, participants: 12, team: null });
  });

  test("results kept from before the totals were sent are counted on the phone", () => {
    const old = { 0: { question: 0, correct: true, streak: 1, rank: 1, score: 1 }, 1: { question: 1, correct: true, streak: 2, rank: 1, score: 2 } };
    const summary = personalSummary(old, { team: null }, null);
    assert.equal(summary.correct, 2);
    assert.equal(summary.bestStreak, 2);
  });

  test("in a team match the team's place and score are in the summary", () => {
    const round = { participants: 8, teams: [{ rank: 1, name: "红队", score: 5000, members: 4 }, { rank: 2, name: "蓝队", score: 4200, members: 4 }] };
    const summary = personalSummary(results, { team: "蓝队" }, round);
    assert.deepEqual(summary.team, { name: "蓝队", rank: 2, score: 4200, teams: 2 });
  });
});

describe("the connection, as the phone tells it", () => {
  test("the banner shows offline, a stalled line and reconnecting, once the page had a connection", () => {
    assert.equal(offlineBanner("offline", false), true);
    assert.equal(offlineBanner("stalled", true), true);
    assert.equal(offlineBanner("reconnecting", true), true);
    assert.equal(offlineBanner("connecting", false), false);
    assert.equal(offlineBanner("connected", true), false);
  });

  test("an answer without its ack is 'sending' only on a working line, otherwise not received yet", () => {
    assert.equal(pendingNoteKey("connected"), "play.sending");
    for (const state of ["stalled", "offline", "reconnecting", "connecting"]) {
      assert.equal(pendingNoteKey(state), "play.not_received");
    }
  });
});

describe("typed questions", () => {
  test("short answers and numbers are typed; choice questions and no question are not", () => {
    assert.equal(isTyped({ kind: "short" }), true);
    assert.equal(isTyped({ kind: "numerical" }), true);
    assert.equal(isTyped({ kind: "single" }), false);
    assert.equal(isTyped(null), false);
  });

  test("a short answer's key lists every accepted answer", () => {
    assert.deepEqual(typedKeyLine({ accepted: ["万里长城", "萬里長城"] }), {
      key: "q.accepted",
      params: { answers: "万里长城 / 萬里長城" },
    });
  });

  test("a number's key carries its unit, and its tolerance when there is one", () => {
    assert.deepEqual(typedKeyLine({ value: 8848.86, tolerance: 0.5, unit: "m" }), {
      key: "q.numeric_key_tolerance",
      params: { value: "8848.86 m", tolerance: "0.5 m" },
    });
    assert.deepEqual(typedKeyLine({ value: 206, tolerance: 0, unit: "" }), { key: "q.numeric_key", params: { value: "206" } });
    assert.equal(typedKeyLine(undefined), null);
  });

  test("each common answer's share is of the people who answered", () => {
    assert.deepEqual(typedShares([{ count: 3 }, { count: 1 }], 8), [38, 13]);
    assert.deepEqual(typedShares([], 0), []);
    assert.deepEqual(typedShares([{ count: 2 }], 0), [100]); // counts ahead of the answered count
  });
});
