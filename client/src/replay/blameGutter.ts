/** Blame in the margin of a cell: one row per source line saying who changed it last and
 * when, in that person's color. Used by the replay page and the live notebook page. */

import { h } from '../dom'
import { blameLabel, clockTime, personOf } from './moments'
import type { BlameLine, Person } from './replayApi'

/** Puts (or replaces) the blame column beside a cell's source. */
export function showBlame(cellElement: HTMLElement, lines: BlameLine[], people: Record<string, Person>, serverColor: string): void {
  const input = cellElement.querySelector('.cell-input')
  if (input === null) return
  input.querySelector(':scope > .blame-gutter')?.remove()
  const rows = lines.map((line) => {
    const person = personOf(people, line.user, serverColor)
    const authors = line.authors.map((id) => personOf(people, id, serverColor).name).join(', ')
    const label = blameLabel(line, people)
    if (label === '') return h('div', { class: 'blame-line empty' })
    return h(
      'div',
      {
        class: 'blame-line',
        style: `--who:${person.color}`,
        title: `${person.name} · ${clockTime(line.ts)} · moment ${line.seq}${authors ? ` · written by ${authors}` : ''}`
      },
      label
    )
  })
  input.prepend(h('div', { class: 'blame-gutter', 'aria-label': 'Who wrote each line' }, ...rows))
  input.classList.add('with-blame')
}

export function hideBlame(root: HTMLElement): void {
  for (const gutter of root.querySelectorAll('.blame-gutter')) gutter.remove()
  for (const input of root.querySelectorAll('.with-blame')) input.classList.remove('with-blame')
}
