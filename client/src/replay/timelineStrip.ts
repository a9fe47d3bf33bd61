/** The replay's timeline: one lane per person (their edit density, runs, chat, joins and
 * role changes as marks in their color), a lane for what the session itself did (kernel,
 * mode changes), the stretches where recording was off, a clock-time axis and the playhead. */

import { h } from '../dom'
import { axisTicks, describeEvent, fractionOf, intensities, laneOf, lanesOf, markOf, momentOf, personOf, timeAt } from './moments'
import type { Timeline, TimelineEvent } from './replayApi'

const SVG = 'http://www.w3.org/2000/svg'

/** Axis labels are at least this many pixels apart (at the track's width when built). */
const TICK_PX = 90

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value))
  return element
}

const percent = (fraction: number): string => `${(fraction * 100).toFixed(3)}%`

export class TimelineStrip {
  readonly element: HTMLElement
  private readonly playhead: HTMLElement
  private readonly body: HTMLElement
  private readonly axis: HTMLElement

  constructor(
    private readonly timeline: Timeline,
    onSeek: (at: { seq: number } | { t: number }) => void
  ) {
    const lanes = lanesOf(timeline)
    const byLane = new Map<string, TimelineEvent[]>(lanes.map((lane) => [lane, []]))
    for (const event of timeline.events) if (markOf(event) !== null) byLane.get(laneOf(event))?.push(event)
    const labels = h('div', { class: 'timeline-labels' })
    this.body = h('div', { class: 'timeline-body', role: 'slider', tabindex: 0, 'aria-label': 'Session timeline: click to jump', 'aria-valuemin': timeline.first_seq, 'aria-valuemax': timeline.last_seq })
    for (const window of timeline.off) {
      const x0 = fractionOf(timeline, window.from_ts)
      const x1 = fractionOf(timeline, window.to_ts)
      this.body.append(h('div', { class: 'timeline-off', title: 'Recording was off', style: `--at:${x0};--span:${x1 - x0}` }))
    }
    for (const lane of lanes) {
      const person = lane === '' ? null : personOf(timeline.people, lane, timeline.server_color)
      const name = person?.name ?? 'Session'
      const color = person?.color ?? timeline.server_color
      // A long name ends in "…" in its label; the label and the lane give it whole on hover.
      const label = h('div', { class: 'lane-label', title: name, style: `--who:${color}`, 'data-lane': lane }, h('span', { class: 'legend-swatch', 'aria-hidden': 'true' }), h('span', { class: 'lane-name' }, name))
      labels.append(label)
      const track = h('div', { class: 'lane', 'data-lane': lane, 'aria-label': `${name}'s lane`, title: name, style: `--who:${color}` })
      const row = timeline.density[lane]
      if (row !== undefined) track.append(this.density(row, color))
      for (const event of byLane.get(lane) ?? []) track.append(this.mark(event, name, onSeek))
      this.body.append(track)
    }
    this.axis = h('div', { class: 'timeline-axis', 'aria-hidden': 'true' })
    this.body.append(this.axis)
    labels.append(h('div', { class: 'lane-label axis-label', 'aria-hidden': 'true' }, ''))
    this.playhead = h('div', { class: 'timeline-playhead', 'aria-hidden': 'true' })
    this.body.append(this.playhead)
    this.body.addEventListener('click', (event) => {
      const box = this.axis.getBoundingClientRect() // the lanes' width, inside the padding
      onSeek({ t: timeAt(timeline, (event.clientX - box.left) / box.width) })
    })
    const legend = h(
      'div',
      { class: 'timeline-legend', 'aria-hidden': 'true' },
      h('span', { class: 'timeline-keys' }, h('kbd', {}, 'Space'), ' play · ', h('kbd', {}, '←'), h('kbd', {}, '→'), ' step · ', h('kbd', {}, 'Home'), h('kbd', {}, 'End')),
      h('span', {}, '▁ edits · ▶ run · ● chat · ◆ role · ▮ join · ▯ leave · ■ recording / restore / kernel')
    )
    this.element = h('div', { class: 'timeline' }, h('div', { class: 'timeline-grid' }, labels, this.body), legend)
    this.drawAxis(1000)
    new ResizeObserver(() => this.drawAxis(this.body.clientWidth)).observe(this.body)
  }

  /** Moves the playhead to a moment's time. */
  show(ts: number, seq: number): void {
    this.playhead.style.setProperty('--at', String(fractionOf(this.timeline, ts)))
    this.body.setAttribute('aria-valuenow', String(seq))
  }

  private density(row: number[], color: string): SVGSVGElement {
    const canvas = svg('svg', { viewBox: `0 0 ${row.length} 1`, preserveAspectRatio: 'none', class: 'lane-density', 'aria-hidden': 'true' })
    intensities(row).forEach((opacity, bin) => {
      if (opacity > 0) canvas.append(svg('rect', { x: bin, y: 0, width: 1, height: 1, fill: color, 'fill-opacity': opacity }))
    })
    return canvas
  }

  private mark(event: TimelineEvent, laneName: string, onSeek: (at: { seq: number }) => void): HTMLElement {
    const kind = markOf(event) ?? 'event'
    const color = personOf(this.timeline.people, event.user, this.timeline.server_color).color
    const text = describeEvent(event, this.timeline.people)
    const mark = h('span', {
      class: `mark mark-${kind}`,
      style: `left:${percent(fractionOf(this.timeline, event.ts))};--mark:${kind === 'role' ? 'var(--who)' : color}`,
      title: text,
      'data-person': laneName,
      'data-seq': momentOf(event)
    })
    mark.addEventListener('click', (click) => {
      click.stopPropagation()
      onSeek({ seq: momentOf(event) })
    })
    return mark
  }

  private drawAxis(width: number): void {
    const ticks = axisTicks(this.timeline.start_ts, this.timeline.end_ts, Math.max(2, Math.floor(width / TICK_PX)))
    this.axis.replaceChildren(
      ...ticks.flatMap((tick) => {
        const at = fractionOf(this.timeline, tick.ts)
        // A label near the start hangs inwards rather than being cut by the edge; one near
        // the end is left out (hung inwards it would run into its neighbour).
        if (at > 0.95) return []
        return [h('span', { class: `axis-tick${at < 0.04 ? ' at-start' : ''}`, style: `left:${percent(at)}` }, tick.label)]
      })
    )
  }
}
