// @ts-check
// The reader's shared context: what views/reader.js builds and hands to every reader module. Types only.

/**
 * @typedef {object} ReaderState
 * @property {any} book
 * @property {any[]} chapters
 * @property {any} chapter the chapter on screen, as GET /books/{id}/chapters/{n} answered
 * @property {number | null} number
 * @property {number} offset first character of the page, in the chapter's plain text
 * @property {any[]} highlights
 * @property {any[]} bookmarks
 * @property {Map<string, any>} descriptions id → description of this chapter
 * @property {Map<string, any>} images description_id → image
 * @property {string | null} panel the open drawer panel
 * @property {boolean} disposed
 */

/**
 * @typedef {object} ReaderUi
 * @property {HTMLElement} readerEl
 * @property {HTMLElement} chapterEl
 * @property {HTMLElement} viewport
 * @property {HTMLButtonElement} prevButton
 * @property {HTMLButtonElement} nextButton
 * @property {HTMLButtonElement} tocButton
 * @property {HTMLButtonElement} castButton
 * @property {HTMLButtonElement} settingsButton
 * @property {HTMLButtonElement} bookmarkButton
 * @property {HTMLElement} pageLabel
 * @property {HTMLElement} percentLabel
 * @property {HTMLElement} bookBar
 * @property {HTMLElement & {returnFocus?: HTMLElement | null}} drawerEl
 * @property {HTMLElement} scrim
 */

/**
 * @typedef {object} Position
 * @property {() => number} percentage
 * @property {(() => void) & {flush: () => void, cancel: () => void}} saveProgress
 * @property {(offset: number) => void} setOffset
 * @property {() => void} updateStatus
 * @property {(page: number) => void} showPage
 * @property {(direction: number) => Promise<void>} turn
 * @property {(chapter: number, offset: number) => void} jump
 * @property {(() => void) & {flush: () => void, cancel: () => void}} relayoutSoon
 * @property {() => void} dispose
 */

/**
 * @typedef {object} ChapterView
 * @property {(number: number, where?: {offset?: number, atEnd?: boolean}) => Promise<void>} openChapter
 * @property {(href: string) => void} followLink
 */

/**
 * @typedef {object} ReaderParts
 * @property {string} bookId
 * @property {ReaderState} state
 * @property {any[]} chapters
 * @property {HTMLElement} content
 * @property {import("./pager.js").Pager} pager
 * @property {import("./popover.js").Popover} popover
 * @property {ReaderUi} ui
 * @property {import("./session.js").ReadingSession} session
 */

/**
 * Built in steps: the parts first, then each module adds its functions (position, chapter view,
 * highlights, scenes, the drawer's controls as `drawer`), so modules call each other through it at run time.
 * @typedef {ReaderParts & Position & ChapterView & {
 *   highlights: any, scenes: any, drawer: any, cast: any,
 * }} ReaderContext
 */

export {};
