// The page scripts name close codes and error codes only through codes.js (generated from the server).

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { CLOSE, ERROR } from "../../frontend/static/frontend/codes.js";

const STATIC = new URL("../../frontend/static/frontend/", import.meta.url);
const scripts = readdirSync(STATIC)
  .filter((name) => name.endsWith(".js") && name !== "codes.js")
  .map((name) => ({ name, text: readFileSync(new URL(name, STATIC), "utf8") }));

test("every ERROR.x and CLOSE.X a script uses is a code the server defines", () => {
  for (const { name, text } of scripts) {
    for (const [, code] of text.matchAll(/\bERROR\.(\w+)/g)) assert.ok(code in ERROR, `${name}: ERROR.${code}`);
    for (const [, code] of text.matchAll(/\bCLOSE\.(\w+)/g)) assert.ok(code in CLOSE, `${name}: CLOSE.${code}`);
  }
});

test("no script compares a code with a literal instead of codes.js", () => {
  for (const { name, text } of scripts) {
    assert.doesNotMatch(text, /\bcode\s*[!=]==?\s*["'\d]/, name);
    assert.doesNotMatch(text, /["'\d]\s*[!=]==?\s*(event\.|frame\.)?code\b/, name);
  }
});

test("the generated codes cannot be changed at run time", () => {
  assert.ok(Object.isFrozen(CLOSE) && Object.isFrozen(ERROR));
  assert.equal(ERROR.too_late, "too_late");
});
