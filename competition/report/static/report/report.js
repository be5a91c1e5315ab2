// The literacy report's charts: Apache ECharts (vendored, window.echarts) over the JSON the page carries
// in #report-data. SVG renderer: sharp on a projector and in print. Colours: the Okabe-Ito palette and
// a viridis ramp for the heat maps, both readable with the common colour-vision deficiencies. Every
// chart has a text alternative (aria-label and caption) and its table on the page.

export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
export const VIRIDIS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
const FONT = "'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',system-ui,sans-serif";
const GREY = "#d4d4d8";

const base = () => ({
  color: PALETTE,
  textStyle: { fontFamily: FONT, fontSize: 14 },
  animation: false,
  tooltip: { trigger: "item" },
  grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
});

export function barOption(data) {
  const percent = data.percent;
  const option = {
    ...base(),
    xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 8 ? 45 : 0 } },
    yAxis: { type: "value", max: percent ? 100 : null, axisLabel: { formatter: percent ? "{value}%" : "{value}" } },
    series: [{ type: "bar", data: data.values.map((v) => (v === null ? "-" : v)), label: { show: data.labels.length <= 12, position: "top" } }],
  };
  if (data.low && data.high) {
    option.series.push({
      type: "custom",
      name: "95%",
      data: data.labels.map((_, i) => [i, data.low[i], data.high[i]]).filter((d) => d[1] !== null),
      renderItem: (params, api) => {
        const lo = api.coord([api.value(0), api.value(1)]);
        const hi = api.coord([api.value(0), api.value(2)]);
        const w = 6;
        const style = { stroke: "#000", lineWidth: 1.5 };
        return {
          type: "group",
          children: [
            { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style },
            { type: "line", shape: { x1: lo[0] - w, y1: lo[1], x2: lo[0] + w, y2: lo[1] }, style },
            { type: "line", shape: { x1: hi[0] - w, y1: hi[1], x2: hi[0] + w, y2: hi[1] }, style },
          ],
        };
      },
      z: 10,
    });
  }
  return option;
}

export function funnelOption(data) {
  return {
    ...base(),
    yAxis: { type: "category", data: [...data.labels].reverse() },
    xAxis: { type: "value" },
    series: [{ type: "bar", data: [...data.values].reverse(), label: { show: true, position: "right" } }],
  };
}

export function weeksOption(data) {
  return {
    ...base(),
    legend: { top: 0 },
    grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.labels },
    yAxis: { type: "value" },
    series: data.series.map((s, i) => ({ type: i === 0 ? "bar" : "line", name: s.name, data: s.values, symbolSize: 8 })),
  };
}

export function heatmapOption(data) {
  const readable = data.values.filter((v) => v[2] !== null);
  const unreadable = data.values.filter((v) => v[2] === null).map((v) => [v[0], v[1], 0]);
  return {
    ...base(),
    grid: { left: 8, right: 24, top: 8, bottom: 64, containLabel: true },
    xAxis: { type: "category", data: data.columns, axisLabel: { interval: 0, rotate: data.columns.length > 10 ? 45 : 0 } },
    yAxis: { type: "category", data: data.rows, axisLabel: { interval: 0 } },
    visualMap: {
      seriesIndex: 0,
      min: 0,
      max: 100,
      calculable: false,
      orient: "horizontal",
      left: "center",
      bottom: 0,
      inRange: { color: VIRIDIS },
      formatter: "{value}%",
    },
    series: [
      { type: "heatmap", data: readable, label: { show: data.columns.length <= 12, formatter: (p) => `${p.value[2]}` } },
      { type: "heatmap", data: unreadable, itemStyle: { color: GREY }, label: { show: false }, tooltip: { show: false } },
    ],
  };
}

export const BUILDERS = { bar: barOption, funnel: funnelOption, weeks: weeksOption, heatmap: heatmapOption };

// A heat map's height: every row label readable (18 px a row), never lower than the stylesheet's 520 px.
export function heatHeight(rows) {
  return Math.max(520, rows * 18 + 140);
}

function draw() {
  const source = document.getElementById("report-data");
  if (!source || typeof window.echarts === "undefined") return;
  const charts = JSON.parse(source.textContent);
  for (const el of document.querySelectorAll("[data-chart]")) {
    const data = charts[el.dataset.chart];
    const build = data && BUILDERS[data.kind];
    if (!build) continue;
    if (data.kind === "heatmap") el.style.height = `${heatHeight(data.rows.length)}px`;
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(build(data));
    window.addEventListener("resize", () => chart.resize());
  }
  document.documentElement.dataset.chartsReady = "true";
}

if (typeof document !== "undefined") {
  if (document.readyState === "complete") draw();
  else window.addEventListener("load", draw);
}
