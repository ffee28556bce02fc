// @ts-check
// A reading session: opened when the reader shows, a heartbeat every minute while the tab is visible,
// ended when the reader leaves or the tab hides (a hidden tab is not reading time).
import { api } from "../api.js";

const HEARTBEAT_MS = 60_000;

export class ReadingSession {
  constructor(bookId) {
    this.bookId = bookId;
    this.id = null;
    this.chapter = null;
    this.offset = 0;
    this.timer = null;
    this.starting = null;
    this.onVisibility = () => {
      if (document.visibilityState === "visible") this.start();
      else this.end(true);
    };
    document.addEventListener("visibilitychange", this.onVisibility);
  }

  position(chapter, offset) {
    this.chapter = chapter;
    this.offset = offset;
  }

  start() {
    if (this.id || this.starting || document.visibilityState !== "visible") return;
    this.starting = api("reading-sessions", { method: "POST", body: { book_id: this.bookId } })
      .then((session) => {
        this.id = session?.id || null;
        clearInterval(this.timer);
        this.timer = setInterval(() => this.beat(), HEARTBEAT_MS);
      })
      .catch(() => {})
      .finally(() => {
        this.starting = null;
      });
  }

  body(extra) {
    const body = { offset: this.offset || 0, ...extra };
    if (this.chapter != null) body.chapter = this.chapter;
    return body;
  }

  beat() {
    if (!this.id || document.visibilityState !== "visible") return;
    api(`reading-sessions/${this.id}`, { method: "PATCH", body: this.body() }).catch((error) => {
      // The server closed it (idle too long, e.g. a sleeping laptop): carry on in a fresh session.
      if (error.status === 409 || error.status === 404) {
        clearInterval(this.timer);
        this.id = null;
        this.start();
      }
    });
  }

  end(keepalive = false) {
    clearInterval(this.timer);
    this.timer = null;
    const id = this.id;
    this.id = null;
    if (!id) return;
    api(`reading-sessions/${id}`, { method: "PATCH", keepalive, body: this.body({ ended: true }) }).catch(() => {});
  }

  dispose() {
    document.removeEventListener("visibilitychange", this.onVisibility);
  }
}
