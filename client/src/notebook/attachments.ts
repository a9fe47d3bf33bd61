/** `attachment:` images in markdown cells, as JupyterLab shows them: `![](attachment:a.png)`
 * (or `<img src="attachment:a.png">`) draws the cell's own `attachments["a.png"]`, a mime
 * bundle, as an inline `data:` image. Only the image types JupyterLab's image renderer takes;
 * anything else (an SVG, HTML, a name the cell has not) resolves to nothing, and the sanitizer
 * then drops the URL as any other that would load from elsewhere. */

/** The image types an attachment may show as (JupyterLab's `imageRendererFactory`). */
export const ATTACHMENT_IMAGE_TYPES: readonly string[] = ['image/bmp', 'image/png', 'image/jpeg', 'image/gif', 'image/webp']

const PREFIX = 'attachment:'
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** A cell's `attachments` (nbformat: name -> mime bundle), as the document holds it, or null. */
export type Attachments = Readonly<Record<string, unknown>> | null

function bundleOf(attachments: Attachments, name: string): Record<string, unknown> | null {
  if (attachments === null || typeof attachments !== 'object' || !Object.hasOwn(attachments, name)) return null
  const bundle = attachments[name]
  return bundle !== null && typeof bundle === 'object' && !Array.isArray(bundle) ? (bundle as Record<string, unknown>) : null
}

/** The name an `attachment:` URL names (markdown-it percent-encodes it), or null for any other URL. */
function namesOf(url: string): string[] {
  if (!url.startsWith(PREFIX)) return []
  const raw = url.slice(PREFIX.length)
  try {
    const decoded = decodeURIComponent(raw)
    return decoded === raw ? [raw] : [raw, decoded]
  } catch {
    return [raw] // a lone % is no escape
  }
}

/** The `data:` URL an `attachment:` URL shows as, or null when the cell has no such image. */
export function attachmentUrl(url: string, attachments: Attachments): string | null {
  for (const name of namesOf(url.trim())) {
    const bundle = bundleOf(attachments, name)
    if (bundle === null) continue
    for (const type of ATTACHMENT_IMAGE_TYPES) {
      const data = bundle[type]
      const text = Array.isArray(data) ? data.join('') : data
      if (typeof text !== 'string') continue
      const base64 = text.replace(/\s+/g, '')
      if (BASE64.test(base64)) return `data:${type};base64,${base64}`
    }
    return null
  }
  return null
}
