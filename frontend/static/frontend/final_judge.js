// A judge's console in a stage final: one score per presenting team, recusals shown (the server refuses
// them too), the judge's own entries kept, everyone's scores shown once a team's panel has finished.

import { followFinal, present, segmentLine } from "./finals.js";
import { errorText, t } from "./i18n.js";
import { byTestId, pageData } from "./page.js";
import { el, setText } from "./ui.js";

const token = pageData("final-path");
const mine = new Map(); // team id -> the score this judge typed or entered (kept across re-renders)
const view = followFinal(`/ws/final/judge/${token}/`, ({ final, me }) => render(final, me));
const socket = view.socket;
const message = byTestId("judge-message");
socket.on("final.reply", () => setText(message, t("final.score_saved")));
socket.on("error", (frame) => setText(message, errorText(frame.code, frame.message)));

function render(final, me) {
  const judge = final.judges.find((j) => j.id === me.judge);
  setText(byTestId("judge-name"), judge ? judge.name : "");
  setText(byTestId("final-segment"), segmentLine(final));
  const play = final.play;
  const judging = play && play.type === "judged";
  setText(byTestId("judge-hint"), judging ? t("final.judge_hint", { low: play.low, high: play.high }) : t("final.judge_wait"));
  const recused = new Set(final.recusals.filter(([j]) => j === me.judge).map(([, team]) => team));
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
      const send = el("button", {
        className: "btn btn-small",
        attrs: { type: "button", "data-testid": "judge-submit" },
        on: {
          click: () => {
            if (input.value === "") return;
            mine.set(team.id, input.value);
            socket.send({ type: "score", team: team.id, value: input.value });
          },
        },
      }, t("final.submit_score"));
      send.disabled = input.disabled;
      row.append(el("td", {}, status), el("td", {}, input), el("td", {}, send));
      return row;
    }),
  );
}

socket.start();
