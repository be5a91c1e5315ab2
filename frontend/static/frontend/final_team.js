// A team's phone in a stage final. The captain's phone answers the server's clock probes at once, stamps
// each press with its own clock (the server maps it to its clock, docs/contest-formats.md), picks the
// wager tier and answers its turns; a member's phone shows the same team state without the controls.

import { followFinal, renderBoard, renderHold, segmentLine, startCountdown, statusLine, formatScore } from "./finals.js";
import { errorText, t } from "./i18n.js";
import { byTestId, pageData } from "./page.js";
import { el, setText, show } from "./ui.js";

const token = pageData("final-path");
const buzzButton = byTestId("buzz-button");
const picker = byTestId("wager-picker");
const choices = byTestId("answer-choices");
const message = byTestId("team-message");

const view = followFinal(`/ws/final/team/${token}/`, ({ final, me }) => render(final, me));
const socket = view.socket;

// Answer every clock probe at once: the sooner the reply, the tighter the bound on this phone's presses.
socket.on("sync", (probe) => socket.send({ type: "sync", s: probe.s, n: probe.n, c: Date.now() }));
socket.on("buzz.ack", (ack) => setText(message, ack.status === "early" ? t("final.buzz_early") : t("final.buzz_accepted")));
socket.on("final.reply", () => setText(message, t("final.sent")));
socket.on("error", (frame) => setText(message, errorText(frame.code, frame.message)));

if (buzzButton) {
  // pointerdown, not click: the press is stamped the moment the finger lands.
  buzzButton.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    socket.send({ type: "buzz", t: Date.now() });
    buzzButton.classList.add("is-pressed");
    setTimeout(() => buzzButton.classList.remove("is-pressed"), 300);
  });
  buzzButton.addEventListener("keydown", (event) => {
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      socket.send({ type: "buzz", t: Date.now() });
    }
  });
}

function render(final, me) {
  const myTeam = me ? me.team : null;
  const team = final.teams.find((x) => x.id === myTeam);
  setText(byTestId("team-name"), team ? team.name : "");
  setText(byTestId("team-score"), team ? formatScore(team.score) : "–");
  setText(byTestId("final-segment"), segmentLine(final));
  setText(byTestId("final-stem"), final.question ? final.question.stem : "");
  renderHold(byTestId("final-hold"), final);
  renderBoard(byTestId("final-board"), final, { me: myTeam });
  const play = final.play || {};
  const inIt = final.participants.includes(myTeam);
  let status = statusLine(final);
  if (play.type === "buzz" && play.answerer === myTeam && play.phase === "answering") status = t("final.you_answer");
  setText(byTestId("team-status"), status);
  if (!buzzButton || !me || me.role !== "captain") return;
  // The buzz button stays pressable while the host reads: a press before 请抢答 is an early buzz.
  show(buzzButton, !final.finished && play.type === "buzz" && inIt && play.phase !== "closed");
  buzzButton.disabled = play.type === "buzz" && (play.out.includes(myTeam) || play.phase === "answering");
  const picking = play.type === "wager" && !play.answers && play.picking === myTeam;
  show(picker, picking);
  if (picking) {
    picker.replaceChildren(
      ...play.tiers.map((tier) =>
        el(
          "button",
          {
            className: "btn ft-tier",
            attrs: { type: "button", disabled: !play.tiers_left.includes(tier), "data-testid": `tier-${tier}` },
            on: { click: () => socket.send({ type: "wager", tier }) },
          },
          String(tier),
        ),
      ),
    );
  }
  const turns = play.type === "wager" ? play.answers : play.type === "turns" ? play : null;
  const answering = Boolean(turns && turns.team === myTeam && turns.phase === "cued" && final.question && final.question.choices.length);
  show(choices, answering);
  if (answering) {
    choices.replaceChildren(
      ...final.question.choices.map((text, i) =>
        el(
          "button",
          {
            className: "btn ft-choice",
            attrs: { type: "button", "data-testid": `choice-${i}` },
            on: { click: () => socket.send({ type: "answer", choice: i }) },
          },
          text,
        ),
      ),
    );
  }
}

startCountdown(el("span"), view);
socket.start();
