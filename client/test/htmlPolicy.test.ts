import { describe, expect, it } from 'vitest'

import { attributeAllowed, cssUrlsAllowed, FORBID_ATTR, FORBID_TAGS, urlAllowed } from '../src/notebook/htmlPolicy'

describe('the sanitizer policy', () => {
  it('removes every element that styles the page, embeds a document, posts or fetches media', () => {
    for (const tag of ['style', 'link', 'meta', 'base', 'iframe', 'object', 'embed', 'form', 'input', 'video', 'audio', 'source', 'picture', 'foreignobject', 'animate', 'set']) {
      expect(FORBID_TAGS).toContain(tag)
    }
  })

  it('removes style attributes and every attribute that loads or sends by itself', () => {
    for (const attribute of ['style', 'srcset', 'background', 'poster', 'ping', 'action', 'formaction']) {
      expect(FORBID_ATTR).toContain(attribute)
    }
  })

  it('keeps inline images, in HTML and in SVG', () => {
    expect(urlAllowed('img', 'src', 'data:image/png;base64,iVBORw0KGgo=')).toBe(true)
    expect(urlAllowed('img', 'src', ' data:image/svg+xml,%3Csvg%3E')).toBe(true)
    expect(urlAllowed('image', 'href', 'data:image/jpeg;base64,/9j/')).toBe(true)
    expect(urlAllowed('use', 'xlink:href', '#glyph0')).toBe(true)
  })

  it('drops images and references from anywhere else, this server included', () => {
    for (const url of ['http://127.0.0.1:9999/x.png', 'https://example.com/a.png', '//evil.test/a', '/api/me', 'x.png', 'blob:http://h/1', 'data:text/html,<b>']) {
      expect(urlAllowed('img', 'src', url)).toBe(false)
    }
    expect(urlAllowed('image', 'href', 'http://evil.test/a.svg')).toBe(false)
    expect(urlAllowed('use', 'href', 'http://evil.test/sprite.svg#a')).toBe(false)
    expect(urlAllowed('object', 'data', 'http://evil.test/')).toBe(false)
  })

  it('keeps links, which only navigate when clicked', () => {
    expect(urlAllowed('a', 'href', 'https://jupyter.org/')).toBe(true)
    expect(urlAllowed('a', 'href', '#section')).toBe(true)
  })

  it('leaves attributes that are not URLs alone', () => {
    expect(urlAllowed('img', 'alt', 'http://example.com')).toBe(true)
    expect(attributeAllowed('td', 'class', 'dataframe')).toBe(true)
  })

  it('keeps url() only when it points inside the document', () => {
    expect(cssUrlsAllowed('url(#clip0)')).toBe(true)
    expect(cssUrlsAllowed("url( '#grad' )")).toBe(true)
    expect(cssUrlsAllowed('rgb(1, 2, 3)')).toBe(true)
    expect(cssUrlsAllowed('url(http://127.0.0.1:9999/leak)')).toBe(false)
    expect(cssUrlsAllowed('URL("//evil.test/x")')).toBe(false)
    expect(cssUrlsAllowed('url(#a) url(http://evil.test/b)')).toBe(false)
    expect(cssUrlsAllowed('u\\rl(http://evil.test/)')).toBe(false)
    expect(attributeAllowed('rect', 'fill', 'url(https://evil.test/p.svg#p)')).toBe(false)
    expect(attributeAllowed('svg', 'cursor', 'url(http://evil.test/c.png), auto')).toBe(false)
  })
})
