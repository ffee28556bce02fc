// @ts-check
// Live events over /api/v1/ws: one socket per signed-in tab, reconnecting with backoff.
import { refreshTokens, tokens } from "./api.js";

const handlers = new Map();
let socket = null;
let retryDelay = 1000;
let retryTimer = null;
let wanted = false;

function dispatch(event) {
  for (const fn of handlers.get(event.type) || []) fn(event);
  for (const fn of handlers.get("*") || []) fn(event);
}

function open() {
  if (!wanted || !tokens.access) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/ws?token=${encodeURIComponent(tokens.access)}`);
  socket = ws;
  let opened = false;
  let pinger = null;
  ws.addEventListener("open", () => {
    opened = true;
    retryDelay = 1000;
    // Idle sockets get cut by proxies; the server answers "ping" with a pong frame.
    pinger = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("ping"), 30000);
    dispatch({ type: "live.open" });
  });
  ws.addEventListener("message", (message) => {
    try {
      dispatch(JSON.parse(message.data));
    } catch {
      // A frame we do not understand is not worth breaking the page for.
    }
  });
  ws.addEventListener("close", async () => {
    clearInterval(pinger);
    if (socket !== ws) return;
    socket = null;
    if (!wanted) return;
    // A socket refused before opening most likely carried an expired token.
    if (!opened) await refreshTokens();
    retryTimer = setTimeout(open, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  });
}

export const live = {
  start() {
    if (wanted) return;
    wanted = true;
    open();
  },
  stop() {
    wanted = false;
    clearTimeout(retryTimer);
    if (socket) {
      const ws = socket;
      socket = null;
      ws.close();
    }
  },
  on(type, fn) {
    if (!handlers.has(type)) handlers.set(type, new Set());
    handlers.get(type).add(fn);
    return () => handlers.get(type).delete(fn);
  },
  get connected() {
    return Boolean(socket && socket.readyState === WebSocket.OPEN);
  },
};
