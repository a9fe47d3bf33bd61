/** The one sanitizer for HTML from a notebook (markdown cells, HTML and markdown outputs):
 * DOMPurify with the policy of htmlPolicy.ts. Its own DOMPurify instance, so its hooks
 * apply to nothing else. */

import DOMPurify, { type Config } from 'dompurify'

import { type Attachments, attachmentUrl } from './attachments'
import { attributeAllowed, FORBID_ATTR, FORBID_TAGS, type Removal } from './htmlPolicy'

const CONFIG: Config = {
  FORBID_TAGS: [...FORBID_TAGS],
  FORBID_ATTR: [...FORBID_ATTR],
  ALLOW_DATA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  // A leading <style> would otherwise be parsed into the <head> and dropped unreported.
  FORCE_BODY: true
}

let instance: ReturnType<typeof DOMPurify> | null = null
/** The attachments of the markdown cell being sanitized: set for one synchronous call. */
let attachments: Attachments = null

function purifier(): ReturnType<typeof DOMPurify> {
  if (instance !== null) return instance
  const purify = DOMPurify(window)
  purify.addHook('uponSanitizeAttribute', (node, data) => {
    // An image's `attachment:` URL becomes its data: URL here, then meets the policy as any URL.
    if (data.attrName === 'src' && node.nodeName.toLowerCase() === 'img' && data.attrValue.trim().startsWith('attachment:')) {
      data.attrValue = attachmentUrl(data.attrValue, attachments) ?? ''
    }
    if (!attributeAllowed(node.nodeName.toLowerCase(), data.attrName, data.attrValue)) {
      data.keepAttr = false
    }
  })
  purify.addHook('afterSanitizeAttributes', (node) => {
    // Links open apart from the notebook and tell the target nothing about it.
    if (node.nodeName.toLowerCase() === 'a' && node.hasAttribute('href')) {
      node.setAttribute('target', '_blank')
      node.setAttribute('rel', 'noopener noreferrer')
    }
  })
  instance = purify
  return purify
}

/** `html` without scripts, handlers, styles or anything that loads from elsewhere; a
 * markdown cell's `attachment:` images drawn from its `attachments` (attachments.ts). */
export function sanitizeHtml(html: string, cellAttachments: Attachments = null): string {
  attachments = cellAttachments
  try {
    return purifier().sanitize(html, CONFIG)
  } finally {
    attachments = null
  }
}

/** `html` sanitized, with what the sanitizer removed from it (element and attribute names,
 * lower case), to tell a data frame's alignment rules from a program or a styled table. */
export function sanitizeHtmlReport(html: string): { html: string; removed: Removal[] } {
  const purify = purifier()
  const clean = purify.sanitize(html, CONFIG)
  // FORCE_BODY's own placeholder (`<remove></remove>`, removed first) is not the output's.
  const placeholder = purify.removed[0]
  const own = placeholder !== undefined && 'element' in placeholder && placeholder.element.nodeName === 'REMOVE'
  const removed = purify.removed.slice(own ? 1 : 0).map((item): Removal => {
    if ('attribute' in item) {
      return { attribute: (item.attribute?.name ?? '').toLowerCase(), from: item.from.nodeName.toLowerCase(), value: item.attribute?.value ?? '' }
    }
    const name = item.element.nodeName.toLowerCase()
    const scoped = name === 'style' && (item.element as Element).hasAttribute('scoped')
    return { element: scoped ? 'style scoped' : name }
  })
  return { html: clean, removed }
}
