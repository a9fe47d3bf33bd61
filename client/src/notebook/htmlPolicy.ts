/** What HTML from a notebook may contain once sanitized: structure, text, links and inline
 * images, but nothing that styles the page or makes the browser load from elsewhere.
 *
 * A notebook's markdown and its outputs are written by anyone who can edit (or by the
 * notebook's author, long ago). A `<style>` there could restyle the whole page, and with
 * attribute selectors and `@import`/`url()` read the page out to another server without any
 * script; an image or a font from elsewhere tells that server who reads the notebook. The
 * server's Content-Security-Policy blocks such loads as well; this is the first line.
 */

/** Elements removed with their content. */
export const FORBID_TAGS: readonly string[] = [
  // styles and document-level elements
  'style', 'link', 'meta', 'base', 'title', 'template', 'noscript',
  // anything that embeds another document or plugin
  'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal', 'foreignobject',
  // forms (a post to this server from a notebook's content)
  'form', 'input', 'button', 'select', 'option', 'textarea', 'isindex',
  // media that fetches: only inline images are kept
  'audio', 'video', 'source', 'track', 'picture', 'bgsound',
  // SVG animation can rewrite an attribute (an href) after sanitizing
  'animate', 'animatemotion', 'animatetransform', 'animatecolor', 'set', 'discard',
  'map', 'area'
]

/** Attributes removed wherever they appear. */
export const FORBID_ATTR: readonly string[] = [
  'style', 'srcset', 'imagesrcset', 'sizes', 'background', 'poster', 'ping', 'action',
  'formaction', 'lowsrc', 'dynsrc', 'codebase', 'manifest', 'archive', 'longdesc', 'usemap'
]

/** Attributes whose value is a URL the browser may load by itself. */
export const URL_ATTRIBUTES: ReadonlySet<string> = new Set(['src', 'href', 'xlink:href', 'data'])

/** Images embedded in the notebook itself (Jupyter's own outputs are data: URIs). */
const INLINE_IMAGE = /^data:image\/(?:png|jpe?g|gif|webp|bmp|svg\+xml)[;,]/i

/** Whether `value` may stay in attribute `attribute` of element `tag` (lower case). Links
 * (`<a href>`) only navigate when clicked, so any URL DOMPurify lets through stays; every
 * other URL must be an inline image or a reference inside the same document (`#id`). */
export function urlAllowed(tag: string, attribute: string, value: string): boolean {
  if (!URL_ATTRIBUTES.has(attribute)) return true
  const url = value.trim()
  if (tag === 'a' && attribute !== 'data') return true
  return url.startsWith('#') || INLINE_IMAGE.test(url)
}

/** Whether every CSS `url(…)` in an attribute value (SVG's `fill`, `filter`, `mask`,
 * `cursor`, …) refers inside the document (`url(#id)`), so nothing is fetched from
 * elsewhere. A value with a call and a backslash is refused: a CSS escape (`u\rl(`) would
 * hide a url( from the check. */
export function cssUrlsAllowed(value: string): boolean {
  if (!value.includes('(')) return true
  if (value.includes('\\')) return false
  for (const match of value.matchAll(/url\s*\(\s*['"]?\s*(.?)/gi)) {
    if (match[1] !== '#') return false
  }
  return true
}

/** Whether an attribute is kept: a URL that stays in the document, no external url(). */
export function attributeAllowed(tag: string, attribute: string, value: string): boolean {
  return urlAllowed(tag, attribute, value) && cssUrlsAllowed(value)
}

/** Something the sanitizer removed: an element (`style scoped` for a `<style scoped>`), or
 * an attribute of an element. */
export type Removal = { element: string } | { attribute: string; from: string; value?: string }

/** What the sanitizer may remove from an output that still shows as its author meant it in
 * the page: pandas' data frames carry a `<style scoped>` of alignment rules that the page's
 * own table style replaces; a link's `target` is set again (sanitize.ts); `data-*`
 * attributes and comments mean nothing without a script. Any other style (a pandas Styler's
 * colours, inline styles) would be lost: such HTML shows in the frame, as written. */
const PAGE_ELEMENTS: ReadonlySet<string> = new Set(['style scoped', '#comment'])
const PAGE_ATTRIBUTES: ReadonlySet<string> = new Set(['target'])
/** pandas' header row (`<tr style="text-align: right;">`): the page right-aligns it too. */
const RIGHT_ALIGNED_ROW = /^\s*text-align:\s*right\s*;?\s*$/i

function pageKeeps(item: { attribute: string; from: string; value?: string }): boolean {
  if (PAGE_ATTRIBUTES.has(item.attribute) || item.attribute.startsWith('data-')) return true
  return item.attribute === 'style' && item.from === 'tr' && RIGHT_ALIGNED_ROW.test(item.value ?? '')
}

/** Whether HTML whose sanitizing removed `removed` must show in the output frame, as written
 * (its scripts, handlers, embeds, forms, styles), rather than changed in the page. */
export function htmlNeedsFrame(removed: readonly Removal[]): boolean {
  return removed.some((item) => ('element' in item ? !PAGE_ELEMENTS.has(item.element) : !pageKeeps(item)))
}
