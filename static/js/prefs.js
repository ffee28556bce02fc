// @ts-check
// Reading preferences persisted per browser; the theme applies to the whole interface.

const KEY = "br.prefs";
const DEFAULTS = { theme: "light", font: "serif", size: 19, lineHeight: 1.6, scenes: true };
export const THEMES = ["light", "sepia", "dark"];
export const FONTS = ["serif", "sans", "classic"];
export const SIZE_RANGE = { min: 14, max: 30, step: 1 };
export const LINE_RANGE = { min: 1.2, max: 2.2, step: 0.1 };

function load() {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(KEY) || "{}") };
  } catch {
    return { ...DEFAULTS };
  }
}

let prefs = load();
const listeners = new Set();

export function getPrefs() {
  return prefs;
}

export function setPref(name, value) {
  prefs = { ...prefs, [name]: value };
  localStorage.setItem(KEY, JSON.stringify(prefs));
  applyPrefs();
  for (const fn of listeners) fn(prefs);
}

export function onPrefsChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function applyPrefs() {
  const root = document.documentElement;
  root.dataset.theme = THEMES.includes(prefs.theme) ? prefs.theme : "light";
  root.dataset.font = FONTS.includes(prefs.font) ? prefs.font : "serif";
  root.dataset.scenes = prefs.scenes === false ? "off" : "on";
  root.style.setProperty("--reader-size", `${prefs.size}px`);
  root.style.setProperty("--reader-line", String(prefs.lineHeight));
}

// A readable default like "Chrome on Linux · 4f2a": the suffix tells two identical browsers apart.
export function deviceName() {
  let name = localStorage.getItem("br.device");
  if (!name) {
    const ua = navigator.userAgent;
    const browser = /Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge" : /Chrom/.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
    const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
    const suffix = Math.random().toString(16).slice(2, 6);
    name = `${browser}${os ? ` on ${os}` : ""} · ${suffix}`;
    localStorage.setItem("br.device", name);
  }
  return name;
}

export function setDeviceName(name) {
  if (name.trim()) localStorage.setItem("br.device", name.trim().slice(0, 60));
}
