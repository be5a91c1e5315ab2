// The page's strings, translated on the server and embedded with json_script (id "ui-strings").
// t("q.number", {n: 3, total: 10}) -> "第 3 / 10 题"; unknown keys fall back to the key itself.

let catalogue = {};
try {
  const node = globalThis.document?.getElementById("ui-strings");
  if (node) catalogue = JSON.parse(node.textContent);
} catch {
  catalogue = {};
}

export const lang = globalThis.document?.documentElement?.lang || "zh-hans";

export function t(key, params = {}) {
  const text = catalogue[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

export function has(key) {
  return key in catalogue;
}

/** A friendly message for an `error` frame's code; the server's own message if the code is new to us. */
export function errorText(code, fallback) {
  const key = `error.${code}`;
  if (key in catalogue) return catalogue[key];
  return fallback || catalogue["error.generic"] || "Error";
}

export function formatNumber(value) {
  try {
    return new Intl.NumberFormat(lang).format(value);
  } catch {
    return String(value);
  }
}
