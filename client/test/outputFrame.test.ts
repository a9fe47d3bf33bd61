import { describe, expect, it } from 'vitest'

import { altairVersions, bokehRootElements } from '../src/frame/renderers'
import { htmlNeedsFrame } from '../src/notebook/htmlPolicy'
import { stripMathDelimiters } from '../src/notebook/math'
import { chooseRendering, isBokehPlaceholder, vegaFlavour } from '../src/notebook/mimeBundle'
import {
  initialFrameHeight,
  isReadyMessage,
  MAX_FRAME_HEIGHT,
  parseRenderMessage,
  parseSizeMessage,
  readyMessage,
  renderMessage,
  sizeMessage
} from '../src/notebook/outputFrameMessages'

describe('choosing where an output renders', () => {
  it('sends programs and charts to the frame, richest first', () => {
    const plotly = { 'application/vnd.plotly.v1+json': { data: [] }, 'text/html': '<div></div>', 'text/plain': 'Figure' }
    expect(chooseRendering(plotly)).toEqual({ where: 'frame', renderer: 'plotly', mime: 'application/vnd.plotly.v1+json' })
    expect(chooseRendering({ 'application/vnd.vegalite.v5+json': {}, 'text/plain': 'c' })).toEqual({ where: 'frame', renderer: 'vega', mime: 'application/vnd.vegalite.v5+json' })
    expect(chooseRendering({ 'application/vnd.vegalite.v6.json': {} })).toMatchObject({ renderer: 'vega' })
    expect(chooseRendering({ 'application/vnd.vega.v5+json': {} })).toMatchObject({ renderer: 'vega' })
    expect(chooseRendering({ 'application/javascript': 'x', 'text/plain': 'js' })).toEqual({ where: 'frame', renderer: 'javascript', mime: 'application/javascript' })
    expect(chooseRendering({ 'application/vnd.bokehjs_exec.v0+json': '', 'application/javascript': '(f)()' })).toEqual({ where: 'frame', renderer: 'bokeh', mime: 'application/javascript' })
  })

  it("hides BokehJS's loader, whose job the frame does", () => {
    expect(chooseRendering({ 'application/vnd.bokehjs_load.v0+json': 'js', 'application/javascript': 'js' })).toMatchObject({ where: 'hidden' })
  })

  it("hides bokeh's loading banner and plot element, only just before its scripts", () => {
    const banner = { output_type: 'display_data', data: { 'text/html': '<span>Loading BokehJS ...</span>' } }
    const loader = { output_type: 'display_data', data: { 'application/vnd.bokehjs_load.v0+json': 'js', 'application/javascript': 'js' } }
    expect(isBokehPlaceholder([banner, loader], 0)).toBe(true)
    expect(isBokehPlaceholder([banner, loader], 1)).toBe(false)
    expect(isBokehPlaceholder([banner], 0)).toBe(false)
    expect(isBokehPlaceholder([{ output_type: 'stream', text: 'x' }, loader], 0)).toBe(false)
    const plot = { output_type: 'display_data', data: { 'application/vnd.bokehjs_exec.v0+json': '', 'application/javascript': 'js' } }
    expect(isBokehPlaceholder([banner, plot], 0)).toBe(true)
  })

  it('keeps everything else in the page, and ignores what it cannot show', () => {
    expect(chooseRendering({ 'text/html': '<table></table>', 'text/plain': 't' })).toEqual({ where: 'page', mime: 'text/html' })
    expect(chooseRendering({ 'text/latex': '$x$', 'text/plain': 'x' })).toEqual({ where: 'page', mime: 'text/latex' })
    expect(chooseRendering({ 'application/vnd.plotly.v1+json': null, 'text/plain': 'p' })).toEqual({ where: 'page', mime: 'text/plain' })
    expect(chooseRendering({ 'application/vnd.vegalite.v5+json.evil': {} })).toBeNull()
    expect(chooseRendering({})).toBeNull()
  })

  it('tells vega from vega-lite and their versions', () => {
    expect(vegaFlavour('application/vnd.vegalite.v6.json')).toEqual({ lite: true, major: 6 })
    expect(vegaFlavour('application/vnd.vega.v5+json')).toEqual({ lite: false, major: 5 })
    expect(vegaFlavour('text/html')).toBeNull()
  })
})

describe('HTML the sanitizer changed', () => {
  it("stays in the page when it lost only a data frame's alignment rules", () => {
    expect(htmlNeedsFrame([])).toBe(false)
    expect(htmlNeedsFrame([{ element: 'style scoped' }, { element: '#comment' }])).toBe(false)
    expect(htmlNeedsFrame([{ attribute: 'target', from: 'a' }, { attribute: 'data-root-id', from: 'div' }])).toBe(false)
    // pandas' header row: the page right-aligns table cells as JupyterLab does
    expect(htmlNeedsFrame([{ element: 'style scoped' }, { attribute: 'style', from: 'tr', value: 'text-align: right;' }])).toBe(false)
  })

  it('goes to the frame when a style, a script, a handler, an embed or a load went', () => {
    expect(htmlNeedsFrame([{ element: 'style' }])).toBe(true) // a pandas Styler's colours
    expect(htmlNeedsFrame([{ attribute: 'style', from: 'td' }])).toBe(true)
    expect(htmlNeedsFrame([{ attribute: 'style', from: 'tr', value: 'text-align: left;' }])).toBe(true)
    expect(htmlNeedsFrame([{ attribute: 'style', from: 'tr', value: 'text-align: right; color: red' }])).toBe(true)
    expect(htmlNeedsFrame([{ element: 'script' }])).toBe(true)
    expect(htmlNeedsFrame([{ attribute: 'onerror', from: 'img' }])).toBe(true)
    expect(htmlNeedsFrame([{ element: 'iframe' }])).toBe(true)
    expect(htmlNeedsFrame([{ attribute: 'src', from: 'img' }])).toBe(true)
    expect(htmlNeedsFrame([{ element: 'style scoped' }, { element: 'form' }])).toBe(true)
  })
})

describe('messages between the page and a frame', () => {
  it('round-trips a render message and refuses anything else', () => {
    const message = renderMessage('plotly', 'application/vnd.plotly.v1+json', { 'application/vnd.plotly.v1+json': {} }, {})
    expect(parseRenderMessage(structuredClone(message))).toEqual(message)
    expect(parseRenderMessage({ ...message, renderer: 'eval' })).toBeNull()
    expect(parseRenderMessage({ ...message, mime: 'text/html' })).toBeNull() // not in the bundle
    expect(parseRenderMessage({ ...message, tag: 'other' })).toBeNull()
    expect(parseRenderMessage('render')).toBeNull()
  })

  it('starts a plotly frame as tall as its figure', () => {
    expect(initialFrameHeight('plotly', { data: [] })).toBe(458)
    expect(initialFrameHeight('plotly', { layout: { height: 300 } })).toBe(308)
    expect(initialFrameHeight('plotly', { layout: { height: 1e7 } })).toBe(MAX_FRAME_HEIGHT)
    expect(initialFrameHeight('plotly', null)).toBe(458)
    expect(initialFrameHeight('html', '<b>')).toBe(24)
  })

  it('tells a ready message from the others', () => {
    expect(isReadyMessage(readyMessage())).toBe(true)
    expect(isReadyMessage(sizeMessage(3))).toBe(false)
    expect(isReadyMessage({ kind: 'ready' })).toBe(false)
  })

  it('believes a size only when it is a size, bounded', () => {
    expect(parseSizeMessage(sizeMessage(120.2))).toBe(121)
    expect(parseSizeMessage(sizeMessage(1e9))).toBe(MAX_FRAME_HEIGHT)
    expect(parseSizeMessage(sizeMessage(-5))).toBeNull()
    expect(parseSizeMessage(sizeMessage(Number.NaN))).toBeNull()
    expect(parseSizeMessage({ ...sizeMessage(10), height: '10' })).toBeNull()
    expect(parseSizeMessage({ kind: 'size', height: 10 })).toBeNull()
    expect(parseSizeMessage(null)).toBeNull()
  })
})

describe('math and altair', () => {
  it('strips the delimiters around a text/latex output', () => {
    expect(stripMathDelimiters('$$\\frac{a}{b}$$')).toBe('\\frac{a}{b}')
    expect(stripMathDelimiters('$\\displaystyle x^2$')).toBe('\\displaystyle x^2')
    expect(stripMathDelimiters('\\[ x \\]')).toBe('x')
    expect(stripMathDelimiters('\\begin{equation}x\\end{equation}')).toBe('\\begin{equation}x\\end{equation}')
    expect(stripMathDelimiters('$')).toBe('$')
  })

  it("finds the elements a bokeh plot's script renders into", () => {
    const js = 'const render_items = [{"docid":"d1","roots":{"p1008":"a4ab-e0dc","p1010":"b5"},"root_ids":["p1008"]}];'
    expect(bokehRootElements(js)).toEqual(['a4ab-e0dc', 'b5'])
    expect(bokehRootElements('no items')).toEqual([])
  })

  it("reads the versions altair's HTML asks for", () => {
    const html = 'maybeLoadScript("vega", "6")\n.then(() => maybeLoadScript("vega-lite", "6.4.1"))\n.then(() => maybeLoadScript("vega-embed", "7"))'
    expect(altairVersions(html)).toEqual({ vega_version: '6', vegalite_version: '6.4.1', vegaembed_version: '7' })
    expect(altairVersions('<b>no altair</b>')).toBeNull()
  })
})
