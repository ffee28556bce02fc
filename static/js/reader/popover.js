// @ts-check
// One floating panel anchored to a rectangle (selection, highlight, scene); Escape or an outside click closes it.
import { clear, h } from "../dom.js";

export class Popover {
  constructor(host) {
    this.el = h("div", { class: "popover", role: "dialog", hidden: true, tabindex: "-1" });
    host.append(this.el);
    this.onClose = null;
    this.el.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.close();
      }
    });
  }

  get open() {
    return !this.el.hidden;
  }

  /**
   * @param {DOMRect} rect what the popover points at
   * @param {Node[]} children
   * @param {{label?: string, focus?: boolean, kind?: string}} [options]
   */
  show(rect, children, { label, focus = true, kind = "" } = {}) {
    clear(this.el).append(...children);
    this.el.className = `popover ${kind}`;
    this.el.setAttribute("aria-label", label || "");
    this.el.hidden = false;
    const box = this.el.getBoundingClientRect();
    const margin = 8;
    let top = rect.bottom + margin;
    if (top + box.height > window.innerHeight - margin) top = Math.max(margin, rect.top - box.height - margin);
    let left = rect.left + rect.width / 2 - box.width / 2;
    left = Math.max(margin, Math.min(left, window.innerWidth - box.width - margin));
    this.el.style.top = `${Math.round(top)}px`;
    this.el.style.left = `${Math.round(left)}px`;
    if (focus) (this.el.querySelector("button, textarea, a, [tabindex='0']") || this.el).focus({ preventScroll: true });
  }

  close() {
    if (this.el.hidden) return;
    this.el.hidden = true;
    clear(this.el);
    const callback = this.onClose;
    this.onClose = null;
    if (callback) callback();
  }
}
