// A judge's console in a stage final: one score per presenting team, recusals shown (the server refuses
// them too), the judge's own entries kept, everyone's scores shown once a team's panel has finished; and
// the marks on spoken answers (right 1, wrong 2, incomplete 3), as on the host console: a mark names the
// attempt or turn it marks, so a key pressed twice (or by two judges) acts once.

import { followFinal, markIndex, present, renderQuestion, segmentLine, statusLine, teamName, teamToMark } from "./finals.js";
import { errorText, t } from "./i18n.js";
import { byTestId, pageData } from "./page.js";
import { el, setText, show } from "./ui.js";

const token = pageData("final-path");
const mine = new Map(); // team id -> the score this judge typed or entered (kept across re-renders)
const view = followFinal(`/ws/final/judge/${token}/`, ({ final, me }) => render(final, me));
const socket = view.socket;
const message = byTestId("judge-message");
const markMessage = byTestId("judge-mark-message");
socket.on("final.reply", (reply) => {
  if (reply.ref === "mark") setText(markMessage, reply.changed ? t("final.marked") : t("final.no_change"));
  else setText(message, t("final.score_saved"));
});
socket.on("error", (frame) => {
  const target = lastSent === "mark" ? markMessage : message;
  setText(target, errorText(frame.code, frame.message));
});
let lastSent = "";

function send(frame) {
  lastSent = frame.type;
  socket.send(frame);
}

function recusedFrom(final, me) {
  return new Set(final.recusals.filter(([j]) => j === me.judge).map(([, team]) => team));
}

function mark(result) {
  const final = view.final;
  if (!final || !view.me) return;
  const team = teamToMark(final);
  if (!present(team)) return setText(markMessage, t("final.nothing_to_mark"));
  if (recusedFrom(final, view.me).has(team)) return setText(markMessage, errorText("judge_recused"));
  send({ type: "mark", result, index: markIndex(final) });
}

for (const button of document.querySelectorAll("[data-mark]")) {
  button.addEventListener("click", () => mark(button.dataset.mark));
}
const KEYS = { 1: "right", 2: "wrong", 3: "incomplete" };
document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement || event.ctrlKey || event.metaKey || event.altKey) return;
  const result = KEYS[event.key];
  if (!result) return;
  event.preventDefault();
  mark(result);
});

function renderMarking(final, me) {
  const team = teamToMark(final);
  const recused = present(team) && recusedFrom(final, me).has(team);
  setText(byTestId("judge-status"), statusLine(final));
  renderQuestion(final, { stem: byTestId("final-stem"), choices: byTestId("final-choices"), reference: byTestId("final-reference") });
  setText(
    byTestId("judge-mark-hint"),
    !present(team) ? t("final.nothing_to_mark") : recused ? t("final.mark_recused", { team: teamName(final, team) }) : t("final.mark_team", { team: teamName(final, team) }),
  );
  for (const button of document.querySelectorAll("[data-mark]")) button.disabled = !present(team) || recused;
  show(byTestId("judge-marking"), final.started && !final.finished && (final.play || {}).type !== "judged");
}

function render(final, me) {
  const judge = final.judges.find((j) => j.id === me.judge);
  setText(byTestId("judge-name"), judge ? judge.name : "");
  setText(byTestId("final-segment"), segmentLine(final));
  renderMarking(final, me);
  const play = final.play;
  const judging = play && play.type === "judged";
  setText(byTestId("judge-hint"), judging ? t("final.judge_hint", { low: play.low, high: play.high }) : t("final.judge_wait"));
  const recused = recusedFrom(final, me);
  const body = byTestId("judge-table").querySelector("tbody");
  body.replaceChildren(
    ...final.teams.map((team) => {
      const entry = judging ? play.teams[String(team.id)] : null;
      const row = el("tr", { data: { team: team.id, testid: "judge-row" } }, el("th", { attrs: { scope: "row" } }, team.name));
      if (recused.has(team.id)) {
        row.append(el("td", { data: { testid: "judge-recused" } }, t("final.recused")), el("td"), el("td"));
        row.classList.add("is-recused");
        return row;
      }
      let status = "";
      if (entry) {
        status = present(entry.points)
          ? t("final.judged_points", { points: entry.points })
          : t("final.scored_of", { n: entry.scored, m: entry.panel });
      }
      const input = el("input", {
        attrs: { type: "number", step: "0.1", min: judging ? play.low : 0, max: judging ? play.high : 10, inputmode: "decimal", "data-testid": "judge-input", "aria-label": team.name, value: mine.get(team.id) ?? "" },
      });
      input.addEventListener("input", () => mine.set(team.id, input.value));
      input.disabled = !judging || (entry && present(entry.points));
      const submit = el("button", {
        className: "btn btn-small",
        attrs: { type: "button", "data-testid": "judge-submit" },
        on: {
          click: () => {
            if (input.value === "") return;
            mine.set(team.id, input.value);
            send({ type: "score", team: team.id, value: input.value });
          },
        },
      }, t("final.submit_score"));
      submit.disabled = input.disabled;
      row.append(el("td", {}, status), el("td", {}, input), el("td", {}, submit));
      return row;
    }),
  );
}

socket.start();
