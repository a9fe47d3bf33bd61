/** The replay's timeline: edit density per person in their color, markers for runs, joins,
 * role changes and recording, the windows where recording was off, and the playhead. */

import { h } from '../dom'
import { describeEvent, fractionOf, intensities, personOf, timeAt } from './moments'
import type { Timeline } from './replayApi'

const SVG = 'http://www.w3.org/2000/svg'
const ROW = 14
const MARKS = 16

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value))
  return element
}

export class TimelineStrip {
  readonly element: HTMLElement
  private readonly playhead: HTMLElement
  private readonly canvas: SVGSVGElement

  constructor(
    private readonly timeline: Timeline,
    onSeek: (ts: number) => void
  ) {
    const people = Object.keys(timeline.density)
    const width = timeline.bins
    const height = MARKS + people.length * ROW
    this.canvas = svg('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', class: 'timeline-svg', height: height * 1.5 })
    for (const window of timeline.off) {
      const x0 = fractionOf(timeline, window.from_ts) * width
      const x1 = fractionOf(timeline, window.to_ts) * width
      const off = svg('rect', { x: x0, y: 0, width: Math.max(1, x1 - x0), height, class: 'timeline-off' })
      off.append(svg('title', {}))
      off.lastChild!.textContent = 'Recording was off'
      this.canvas.append(off)
    }
    people.forEach((id, row) => {
      const color = personOf(timeline.people, id).color
      intensities(timeline.density[id] ?? []).forEach((opacity, bin) => {
        if (opacity === 0) return
        this.canvas.append(svg('rect', { x: bin, y: MARKS + row * ROW + 2, width: 1, height: ROW - 4, fill: color, 'fill-opacity': opacity }))
      })
    })
    for (const event of timeline.events) {
      const status = String(event.data.status ?? '')
      const marker = event.kind === 'run' ? status === 'running' : ['join', 'leave', 'role', 'recording', 'restore'].includes(event.kind)
      if (!marker) continue
      const x = fractionOf(timeline, event.ts) * width
      const color = personOf(timeline.people, event.user).color
      const shape =
        event.kind === 'run'
          ? svg('path', { d: `M${x - 3} 2 L${x + 3} 7 L${x - 3} 12 Z`, fill: color, class: 'mark mark-run' })
          : event.kind === 'join' || event.kind === 'leave'
            ? svg('rect', { x: x - 1, y: 2, width: 2, height: 10, fill: event.kind === 'join' ? color : 'white', stroke: color, 'stroke-width': 0.5, class: `mark mark-${event.kind}` })
            : svg('path', { d: `M${x} 2 L${x + 4} 7 L${x} 12 L${x - 4} 7 Z`, fill: color, class: `mark mark-${event.kind}` })
      const title = svg('title', {})
      title.textContent = describeEvent(event, timeline.people)
      shape.append(title)
      this.canvas.append(shape)
    }
    this.playhead = h('div', { class: 'timeline-playhead', 'aria-hidden': 'true' })
    const legend = h(
      'div',
      { class: 'timeline-legend' },
      ...people.map((id) => {
        const person = personOf(timeline.people, id)
        return h('span', { class: 'legend-person' }, h('span', { class: 'legend-swatch', style: `background:${person.color}` }), person.name)
      }),
      h('span', { class: 'legend-note' }, '▶ run  ▮ join  ▯ leave  ◆ role / recording / restore')
    )
    const track = h('div', { class: 'timeline-track', role: 'slider', 'aria-label': 'Session timeline: click to jump', tabindex: 0 }, this.canvas as unknown as Node, this.playhead)
    track.addEventListener('click', (event) => {
      const box = track.getBoundingClientRect()
      onSeek(timeAt(timeline, (event.clientX - box.left) / box.width))
    })
    this.element = h('div', { class: 'timeline' }, track, legend)
  }

  /** Moves the playhead to a moment's time. */
  show(ts: number, seq: number): void {
    this.playhead.style.left = `${fractionOf(this.timeline, ts) * 100}%`
    this.playhead.parentElement?.setAttribute('aria-valuenow', String(seq))
  }
}
