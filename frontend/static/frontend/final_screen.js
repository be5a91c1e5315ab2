// The big screen of a stage final: the segment's title card, the status, the countdown, the question
// (the reference answer once closed), the scoreboard for 4-18 teams (the buzz winner lit, score changes
// animated, judges' points when revealed), the hold banner and the final ranking.

import {
  followFinal,
  renderBoard,
  renderHold,
  renderQuestion,
  segmentLine,
  startCountdown,
  statusLine,
  formatScore,
  teamName,
} from "./finals.js";
import { byTestId, pageData } from "./page.js";
import { el, setText, show } from "./ui.js";

const pin = pageData("final-path");
let tick = () => {};

const view = followFinal(`/ws/final/screen/${pin}/`, ({ final }, frame) => {
  setText(byTestId("final-segment"), segmentLine(final));
  setText(byTestId("final-status"), statusLine(final));
  byTestId("final-screen").dataset.events = frame.events.join(" ");
  renderHold(byTestId("final-hold"), final);
  show(byTestId("final-question"), Boolean(final.question));
  renderQuestion(final, {
    stem: byTestId("final-stem"),
    choices: byTestId("final-choices"),
    reference: byTestId("final-reference"),
  });
  renderBoard(byTestId("final-board"), final);
  const ranking = byTestId("final-ranking");
  show(ranking, Boolean(final.ranking));
  if (final.ranking) {
    ranking.querySelector("ol").replaceChildren(
      ...final.ranking.map((r) =>
        el("li", { data: { place: r.place } }, `${r.place}. ${teamName(final, r.team)} · ${formatScore(r.score)}`),
      ),
    );
  }
  tick();
});
tick = startCountdown(byTestId("final-countdown"), view);
view.socket.start();
