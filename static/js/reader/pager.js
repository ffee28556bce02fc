// @ts-check
// Horizontal pagination with CSS columns: the chapter flows into viewport-wide columns and a page turn
// scrolls the viewport by one column. The chapter offset at the top of the page is the reading position.
import { offsetFromPoint, pointFromOffset } from "./offsets.js";

const GAP = 64;

export class Pager {
  constructor(viewport, content) {
    this.viewport = viewport;
    this.content = content;
    this.map = [];
    this.page = 0;
    this.pages = 1;
    this.width = 0;
  }

  layout() {
    const width = this.viewport.clientWidth;
    const height = this.viewport.clientHeight;
    this.width = width;
    this.content.style.columnWidth = `${width}px`;
    this.content.style.columnGap = `${GAP}px`;
    this.content.style.height = `${height}px`;
    this.viewport.style.setProperty("--page-height", `${height}px`);
    this.pages = Math.max(1, Math.round((this.content.scrollWidth + GAP) / (width + GAP)));
    this.show(Math.min(this.page, this.pages - 1));
  }

  show(page) {
    this.page = Math.max(0, Math.min(page, this.pages - 1));
    this.viewport.scrollLeft = this.page * (this.width + GAP);
  }

  // The browser may scroll the viewport itself (find in page, focus, selection drags); snap back to a page.
  snap() {
    const page = Math.round(this.viewport.scrollLeft / (this.width + GAP));
    if (page !== this.page || this.viewport.scrollLeft !== this.page * (this.width + GAP)) this.show(page);
  }

  pageOfRect(rect) {
    const origin = this.content.getBoundingClientRect().left;
    return Math.max(0, Math.floor((rect.left - origin + 1) / (this.width + GAP)));
  }

  pageOfOffset(offset) {
    const point = pointFromOffset(this.map, offset);
    if (!point) return 0;
    // Measure the character itself: a collapsed range at a line start reports the previous line's end,
    // which is on the previous page when the line starts a page.
    const range = document.createRange();
    const length = point.node.nodeType === Node.TEXT_NODE ? point.node.length : 0;
    if (point.offset < length) {
      range.setStart(point.node, point.offset);
      range.setEnd(point.node, point.offset + 1);
    } else {
      range.setStart(point.node, point.offset);
      range.collapse(true);
    }
    const rects = [...range.getClientRects()].filter((r) => r.width > 0 || r.height > 0);
    const rect = rects[rects.length - 1] || point.para.el.getClientRects()[0];
    return rect ? this.pageOfRect(rect) : 0;
  }

  pageOfElement(el) {
    const rect = el.getClientRects()[0];
    return rect ? this.pageOfRect(rect) : 0;
  }

  // The first character visible on the current page.
  currentOffset() {
    const view = this.viewport.getBoundingClientRect();
    for (const para of this.map) {
      const rects = [...para.el.getClientRects()];
      const visible = rects.find((r) => r.right > view.left + 1 && r.left < view.right - 1 && r.height > 0);
      if (!visible) continue;
      if (rects[0] === visible) return para.start;
      // The paragraph began on an earlier page: ask for the character at the top-left of this one.
      const point = caretAt(visible.left + 2, visible.top + 2);
      const offset = point ? offsetFromPoint(this.map, point.node, point.offset) : null;
      return offset != null && offset >= para.start ? offset : para.start;
    }
    // No text on this page (a full-page picture): the position is where the text resumes, so offsets
    // keep moving forward as pages turn and a restore lands next to the picture.
    const next = this.map.find((para) => {
      const first = para.el.getClientRects()[0];
      return first && first.left >= view.right - 1;
    });
    if (next) return next.start;
    return this.map.length ? this.map[this.map.length - 1].end : 0;
  }
}

function caretAt(x, y) {
  if (document.caretPositionFromPoint) {
    const position = document.caretPositionFromPoint(x, y);
    return position ? { node: position.offsetNode, offset: position.offset } : null;
  }
  if (document.caretRangeFromPoint) {
    const range = document.caretRangeFromPoint(x, y);
    return range ? { node: range.startContainer, offset: range.startOffset } : null;
  }
  return null;
}
