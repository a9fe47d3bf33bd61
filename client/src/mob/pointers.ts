/** Pointers: a person's `point` in awareness ({cell, from, to}) shown on that cell for
 * everyone — a navigator says "here" without typing. */

import { h } from '../dom'
import type { AwarenessState } from '../panels/presence'
import { inkOn, isColor } from '../panels/presence'
import { describeLines } from './mobState'

export interface PointedCells {
  cellById(id: string): { element: HTMLElement } | null
}

export interface Pointer {
  cell: string
  from: number
  to: number
  name: string
  color: string
  self: boolean
}

/** The valid pointers in the awareness states. */
export function pointersFrom(states: Map<number, AwarenessState>, selfClientId: number): Pointer[] {
  const pointers: Pointer[] = []
  for (const [clientId, state] of states) {
    const point = state.point as { cell?: unknown; from?: unknown; to?: unknown } | null | undefined
    if (typeof point !== 'object' || point === null || typeof point.cell !== 'string') continue
    const from = typeof point.from === 'number' ? Math.max(1, Math.floor(point.from)) : 1
    const to = typeof point.to === 'number' ? Math.max(from, Math.floor(point.to)) : from
    const user = state.user ?? {}
    pointers.push({
      cell: point.cell,
      from,
      to,
      name: typeof user.name === 'string' ? user.name : 'Someone',
      color: isColor(user.color) ? user.color : '#6b7280',
      self: clientId === selfClientId
    })
  }
  return pointers
}

/** Puts each pointer on its cell (and takes old ones away). */
export function renderPointers(cells: PointedCells, pointers: Pointer[]): void {
  for (const old of document.querySelectorAll('.mob-pointer')) old.remove()
  for (const cell of document.querySelectorAll('.cell.pointed')) cell.classList.remove('pointed')
  for (const pointer of pointers) {
    const cell = cells.cellById(pointer.cell)
    if (cell === null) continue
    cell.element.classList.add('pointed')
    cell.element.style.setProperty('--pointer', pointer.color)
    cell.element.append(
      h(
        'div',
        { class: 'mob-pointer', role: 'note', style: `--person:${pointer.color};--person-ink:${inkOn(pointer.color)}` },
        `${pointer.self ? 'You point' : `${pointer.name} points`} here: ${describeLines(pointer.from, pointer.to)}`
      )
    )
  }
}
