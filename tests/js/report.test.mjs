// The report page's chart options (competition/report/static/report/report.js), without a browser.

import assert from "node:assert/strict";
import { test } from "node:test";

import { PALETTE, barOption, heatHeight } from "../../competition/report/static/report/report.js";

test("a heat map of many rows grows so that every row label has 18 px", () => {
  assert.equal(heatHeight(4), 520);
  assert.equal(heatHeight(43), 43 * 18 + 140);
});

test("a bar chart with intervals draws whiskers only for readable bars", () => {
  const option = barOption({ labels: ["B01", "B02"], values: [62.5, null], low: [55, null], high: [70, null], percent: true });
  assert.deepEqual(option.series[0].data, [62.5, "-"]);
  assert.deepEqual(option.series[1].data, [[0, 55, 70]]);
  assert.equal(option.yAxis.max, 100);
  assert.equal(option.color, PALETTE);
});
