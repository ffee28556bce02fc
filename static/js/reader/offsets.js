// @ts-check
// Chapter coordinates: every paragraph element `#p-<i>` covers [start, end) of the chapter's plain text.
// Descriptions, highlights, bookmarks and progress are offsets into that text; these helpers map both ways.

// Separator the server puts between paragraphs in the plain text; used only when the chapter omits offsets.
const PARAGRAPH_SEPARATOR = 2; // "\n\n", as bookreader.ingest writes it

export function buildParagraphMap(content, paragraphs) {
  const elements = [...content.querySelectorAll('[id^="p-"]')].filter((el) => /^p-\d+$/.test(el.id));
  const map = [];
  let running = 0;
  for (const el of elements) {
    const index = Number(el.id.slice(2));
    const length = el.textContent.length;
    let start;
    let end;
    if (Array.isArray(paragraphs) && paragraphs[index]) {
      [start, end] = paragraphs[index];
    } else {
      start = running;
      end = running + length;
    }
    running = end + PARAGRAPH_SEPARATOR;
    map.push({ el, index, start, end });
  }
  return map;
}

export function textLength(map) {
  return map.length ? map[map.length - 1].end : 0;
}

export function paragraphAt(map, offset) {
  if (!map.length) return null;
  for (const para of map) if (offset < para.end) return para;
  return map[map.length - 1];
}

/**
 * @param {Node} el
 * @returns {Text[]}
 */
function textNodes(el) {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  /** @type {Text[]} */
  const nodes = [];
  while (walker.nextNode()) nodes.push(/** @type {Text} */ (walker.currentNode));
  return nodes;
}

// DOM point (node, offset) → chapter offset, or null when the point is outside every paragraph.
export function offsetFromPoint(map, node, nodeOffset) {
  const host = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  const para = map.find((p) => p.el === host || p.el.contains(host));
  if (!para) return null;
  let local = 0;
  if (node.nodeType === Node.TEXT_NODE) {
    for (const text of textNodes(para.el)) {
      if (text === node) {
        local += nodeOffset;
        break;
      }
      local += text.length;
    }
  } else {
    // An element boundary: count the text of the children before it.
    const range = document.createRange();
    range.setStart(para.el, 0);
    range.setEnd(node, nodeOffset);
    local = range.toString().length;
  }
  return Math.min(para.start + local, para.end);
}

// Chapter offset → DOM point inside its paragraph.
export function pointFromOffset(map, offset) {
  const para = paragraphAt(map, offset);
  if (!para) return null;
  let local = Math.max(0, Math.min(offset, para.end) - para.start);
  const nodes = textNodes(para.el);
  // At a boundary between two text nodes prefer the start of the next: that is where the character is.
  for (const text of nodes) {
    if (local < text.length) return { node: text, offset: local, para };
    local -= text.length;
  }
  const last = nodes[nodes.length - 1];
  return last ? { node: last, offset: last.length, para } : { node: para.el, offset: 0, para };
}

// Wrap the text of [start, end) in elements made by `make()`; returns the created wrappers.
export function wrapOffsets(map, start, end, make) {
  const wrappers = [];
  for (const para of map) {
    if (para.end <= start || para.start >= end) continue;
    const from = Math.max(start, para.start) - para.start;
    const to = Math.min(end, para.end) - para.start;
    let position = 0;
    for (const text of textNodes(para.el)) {
      const nodeStart = position;
      const nodeEnd = position + text.length;
      position = nodeEnd;
      if (nodeEnd <= from || nodeStart >= to || !text.length) continue;
      let target = text;
      const cutStart = Math.max(from, nodeStart) - nodeStart;
      const cutEnd = Math.min(to, nodeEnd) - nodeStart;
      if (cutEnd < target.length) target.splitText(cutEnd);
      if (cutStart > 0) target = target.splitText(cutStart);
      if (!target.parentNode || /^\s*$/.test(target.data)) continue;
      const wrapper = make();
      target.parentNode.insertBefore(wrapper, target);
      wrapper.append(target);
      wrappers.push(wrapper);
    }
  }
  return wrappers;
}

// Remove wrappers and merge the text back so later offset walks see the same text nodes count-wise.
export function unwrap(elements) {
  for (const el of elements) {
    const parent = el.parentNode;
    if (!parent) continue;
    while (el.firstChild) parent.insertBefore(el.firstChild, el);
    el.remove();
    parent.normalize();
  }
}

export function selectionOffsets(map, selection) {
  if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
  const range = selection.getRangeAt(0);
  let start = offsetFromPoint(map, range.startContainer, range.startOffset);
  let end = offsetFromPoint(map, range.endContainer, range.endOffset);
  // A selection that starts or ends between paragraphs snaps to the nearest paragraph edge.
  if (start == null) {
    const first = map.find((p) => range.intersectsNode(p.el));
    start = first ? first.start : null;
  }
  if (end == null) {
    const inside = map.filter((p) => range.intersectsNode(p.el));
    end = inside.length ? inside[inside.length - 1].end : null;
  }
  if (start == null || end == null || end <= start) return null;
  ({ start, end } = snapToWords(map, start, end));
  if (end <= start) return null;
  return { start, end, text: textBetween(map, start, end) };
}

const WORD = /[\p{L}\p{N}'’-]/u;

// A selection that cuts a word in half grows to take the whole word, as readers expect of a highlight.
function snapToWords(map, start, end) {
  const first = paragraphAt(map, start);
  const last = paragraphAt(map, Math.max(start, end - 1));
  if (first) {
    const text = first.el.textContent;
    let local = start - first.start;
    while (local > 0 && WORD.test(text[local - 1]) && WORD.test(text[local] || "")) local -= 1;
    while (local < text.length && /\s/.test(text[local])) local += 1;
    start = first.start + local;
  }
  if (last) {
    const text = last.el.textContent;
    let local = end - last.start;
    while (local < text.length && WORD.test(text[local]) && WORD.test(text[local - 1] || "")) local += 1;
    while (local > 0 && /\s/.test(text[local - 1])) local -= 1;
    end = last.start + local;
  }
  return { start, end: Math.max(end, start) };
}

function textBetween(map, start, end) {
  return map
    .filter((p) => p.end > start && p.start < end)
    .map((p) => p.el.textContent.slice(Math.max(start, p.start) - p.start, Math.min(end, p.end) - p.start))
    .join("\n\n");
}
