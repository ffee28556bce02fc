// @ts-check
// Statistics: figures and charts from GET /api/v1/stats. Field names are read defensively (the reading
// domain may name them slightly differently); anything missing renders as "—".
import { api } from "../api.js";
import { formatNumber, h } from "../dom.js";
import { lang, t } from "../i18n.js";
import { errorText, toast } from "../ui.js";

const CHART_SRC = "/static/vendor/chart.umd.min.js";
// Days (and so streaks) are counted in the reader's own timezone.
const TIMEZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
let chartLoading = null;
/** @type {Window & {Chart?: any}} */
const page = window; // Chart.js (vendor/) puts itself on window

function loadChart() {
  if (page.Chart) return Promise.resolve(page.Chart);
  if (!chartLoading) {
    chartLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = CHART_SRC;
      script.addEventListener("load", () => resolve(page.Chart));
      script.addEventListener("error", reject);
      document.head.append(script);
    });
  }
  return chartLoading;
}

function pick(object, ...paths) {
  for (const path of paths) {
    let value = object;
    for (const key of path.split(".")) value = value == null ? undefined : value[key];
    if (value != null) return value;
  }
  return null;
}

function numberOrNull(value) {
  const number = typeof value === "object" && value !== null ? null : Number(value);
  return value == null || Number.isNaN(number) ? null : number;
}

export function normalizeStats(raw) {
  const daily = pick(raw, "per_day", "daily", "days", "minutes_per_day", "by_day") || [];
  const days = (Array.isArray(daily) ? daily : Object.entries(daily).map(([date, minutes]) => ({ date, minutes })))
    .map((row) => ({
      date: row.date || row.day,
      minutes: numberOrNull(row.minutes ?? (row.seconds != null ? row.seconds / 60 : null)) ?? 0,
      wpm: numberOrNull(row.words_per_minute ?? row.wpm),
      words: numberOrNull(row.words ?? row.words_read),
    }))
    .filter((row) => row.date)
    .sort((a, b) => String(a.date).localeCompare(String(b.date)));
  const totalMinutes = numberOrNull(pick(raw, "total_minutes", "totals.minutes", "minutes_total")) ?? (pick(raw, "total_seconds", "totals.seconds") != null ? pick(raw, "total_seconds", "totals.seconds") / 60 : null);
  const goalRaw = pick(raw, "daily_goal", "goal");
  const goalMinutes = numberOrNull(typeof goalRaw === "object" && goalRaw !== null ? goalRaw.minutes ?? goalRaw.target_minutes : goalRaw ?? pick(raw, "daily_goal_minutes", "goal_minutes"));
  const today = new Date().toISOString().slice(0, 10);
  const todayMinutes = numberOrNull(typeof goalRaw === "object" && goalRaw !== null ? goalRaw.done_minutes ?? goalRaw.today_minutes ?? goalRaw.progress_minutes : pick(raw, "today_minutes")) ?? days.find((d) => d.date === today)?.minutes ?? null;
  const wpmRaw = pick(raw, "words_per_minute", "wpm", "average_wpm");
  return {
    days,
    totalMinutes,
    wpm: numberOrNull(typeof wpmRaw === "object" && wpmRaw !== null ? wpmRaw.average ?? wpmRaw.value : wpmRaw),
    streak: numberOrNull(pick(raw, "current_streak", "streak.current", "streak_days", "streak")),
    longestStreak: numberOrNull(pick(raw, "longest_streak", "streak.longest", "best_streak")),
    booksFinished: numberOrNull(pick(raw, "books_finished", "finished_books", "totals.books_finished")),
    words: numberOrNull(pick(raw, "total_words", "words_read", "totals.words")),
    sessions: numberOrNull(pick(raw, "sessions", "total_sessions", "totals.sessions")),
    goalMinutes,
    todayMinutes,
  };
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function figure(id, label, value) {
  return h("div", { class: "stat", id }, h("span", { class: "stat-value" }, value), h("span", { class: "stat-label" }, label));
}

export async function mountStats(root) {
  const section = h("section", { class: "stats" }, h("div", { class: "page-head" }, h("h1", {}, t("stats.title"))));
  root.append(section);
  let raw;
  try {
    raw = await api("stats", { query: { tz: TIMEZONE } });
  } catch (error) {
    section.append(h("p", { class: "alert alert-error", role: "alert" }, errorText(error)));
    return null;
  }
  const stats = normalizeStats(raw || {});
  // Small amounts keep a decimal: a first session of twenty seconds should not read as nothing.
  const n = (value, fraction = Math.abs(value) < 10 ? 1 : 0) => (value == null ? "—" : formatNumber(Math.round(value * 10 ** fraction) / 10 ** fraction, lang()));
  const goal = goalCard(stats, n);
  section.append(
    h(
      "div",
      { class: "stat-grid", id: "stat-grid" },
      figure("stat-total", t("stats.total_minutes"), stats.totalMinutes == null ? "—" : t("stats.minutes", { n: n(stats.totalMinutes) })),
      figure("stat-streak", t("stats.streak"), stats.streak == null ? "—" : t("stats.days", { n: n(stats.streak), count: stats.streak })),
      figure("stat-longest", t("stats.longest_streak"), stats.longestStreak == null ? "—" : t("stats.days", { n: n(stats.longestStreak), count: stats.longestStreak })),
      figure("stat-wpm", t("stats.wpm"), n(stats.wpm)),
      figure("stat-finished", t("stats.books_finished"), n(stats.booksFinished)),
      goal,
    ),
  );
  const minutesCanvas = h("canvas", { id: "chart-minutes", role: "img", "aria-label": t("stats.minutes_per_day") });
  const wpmCanvas = h("canvas", { id: "chart-wpm", role: "img", "aria-label": t("stats.wpm") });
  const charts = h(
    "div",
    { class: "chart-grid" },
    h("div", { class: "card chart-card" }, h("h2", {}, t("stats.minutes_per_day")), h("div", { class: "chart-box" }, minutesCanvas)),
    h("div", { class: "card chart-card" }, h("h2", {}, t("stats.wpm")), h("div", { class: "chart-box" }, wpmCanvas)),
  );
  section.append(charts);
  if (!stats.days.some((day) => day.minutes > 0)) section.append(h("p", { class: "muted empty" }, t("stats.no_data")));

  const Chart = await loadChart().catch(() => null);
  if (!Chart || !section.isConnected) return null;
  const days = stats.days.slice(-30);
  // Keep the x axis meaningful even before any reading: the last 14 days with zeros.
  const labels = days.length ? days.map((d) => d.date) : lastDays(14);
  const format = new Intl.DateTimeFormat(lang(), { month: "short", day: "numeric" });
  const shortLabels = labels.map((date) => format.format(new Date(`${date}T00:00:00`)));
  const accent = cssVar("--accent");
  const text = cssVar("--text-muted");
  const grid = cssVar("--border");
  Chart.defaults.color = text;
  Chart.defaults.borderColor = grid;
  Chart.defaults.font.family = cssVar("--font-ui");
  const common = { responsive: true, maintainAspectRatio: false, animation: { duration: 300 }, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, grid: { color: grid } }, x: { grid: { display: false } } } };
  const made = [
    new Chart(minutesCanvas, {
      type: "bar",
      data: { labels: shortLabels, datasets: [{ label: t("stats.minutes_per_day"), data: days.length ? days.map((d) => Math.round(d.minutes * 10) / 10) : labels.map(() => 0), backgroundColor: accent, borderRadius: 4 }] },
      options: common,
    }),
    new Chart(wpmCanvas, {
      type: "line",
      data: { labels: shortLabels, datasets: [{ label: t("stats.wpm"), data: days.length ? days.map((d) => d.wpm) : labels.map(() => null), borderColor: accent, backgroundColor: accent, tension: 0.3, spanGaps: true, pointRadius: 3 }] },
      options: common,
    }),
  ];
  return () => {
    for (const chart of made) chart.destroy();
  };
}

// The daily goal: today's progress and a small form to change the target (PUT /stats/goal).
function goalCard(stats, n) {
  const value = h("span", { class: "stat-value" });
  const bar = h("div", { class: "goal-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": t("stats.daily_goal") }, h("div", { class: "goal-fill" }));
  const today = h("span", { class: "stat-label" });
  const show = (goalMinutes, todayMinutes) => {
    value.textContent = goalMinutes == null ? "—" : t("stats.minutes", { n: n(goalMinutes) });
    const percent = goalMinutes ? Math.min(100, Math.round(((todayMinutes || 0) / goalMinutes) * 100)) : 0;
    bar.hidden = !goalMinutes;
    bar.setAttribute("aria-valuenow", String(percent));
    bar.firstChild.style.width = `${percent}%`;
    today.textContent = !goalMinutes ? "" : percent >= 100 ? t("stats.goal_met") : t("stats.goal_today", { done: n(todayMinutes || 0), goal: n(goalMinutes) });
  };
  show(stats.goalMinutes, stats.todayMinutes);
  const input = h("input", { type: "number", id: "goal-minutes", class: "input input-small", min: "1", max: "1440", value: String(stats.goalMinutes || 20), "aria-label": t("stats.set_goal") });
  const save = h("button", { type: "submit", class: "btn btn-small" }, t("stats.save_goal"));
  const form = h("form", { class: "goal-form" }, input, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      const saved = await api("stats/goal", { method: "PUT", query: { tz: TIMEZONE }, body: { minutes_per_day: Number(input.value) } });
      show(saved.minutes ?? saved.minutes_per_day ?? Number(input.value), saved.today_minutes ?? stats.todayMinutes);
    } catch (error) {
      toast(errorText(error), "error");
    } finally {
      save.disabled = false;
    }
  });
  return h("div", { class: "stat stat-goal", id: "stat-goal" }, value, h("span", { class: "stat-label" }, t("stats.daily_goal")), bar, today, form);
}

function lastDays(count) {
  const out = [];
  for (let i = count - 1; i >= 0; i -= 1) out.push(new Date(Date.now() - i * 86400000).toISOString().slice(0, 10));
  return out;
}
