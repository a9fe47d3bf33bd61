import { describe, expect, it } from 'vitest'

import { headingInsertion, movedSectionStart, sectionEnd, sectionLevel } from '../src/notebook/sections'

// # A · code · ## B (collapsed: hides the next two) · code · code · ## C · code · # D
const levels = [1, 0, 2, 0, 0, 2, 0, 1]
const hidden = [false, false, false, true, true, false, false, false]

describe("a collapsed heading's section", () => {
  it('reaches over the cells the heading hides, and no further', () => {
    expect(sectionEnd(hidden, 2)).toBe(4)
    expect(sectionEnd(hidden, 0)).toBe(0)
    expect(sectionEnd(hidden, 5)).toBe(5)
    expect(sectionEnd([false, true, true], 0)).toBe(2) // to the notebook's end
  })

  it('moves past a whole shown neighbour, never into a collapsed section', () => {
    // ## B and its two hidden cells, down: past ## C alone (it is expanded).
    expect(movedSectionStart(hidden, 2, 4, 1)).toBe(3)
    // The code cell above ## B, down: past ## B and everything it hides.
    expect(movedSectionStart(hidden, 1, 1, 1)).toBe(4)
    // ## C, up: above ## B, not between ## B and its hidden cells.
    expect(movedSectionStart(hidden, 5, 5, -1)).toBe(2)
    expect(movedSectionStart(hidden, 2, 4, -1)).toBe(1)
  })

  it('stays where it is at the notebook’s ends', () => {
    expect(movedSectionStart(hidden, 0, 0, -1)).toBe(0)
    expect(movedSectionStart(hidden, 7, 7, 1)).toBe(7)
    expect(movedSectionStart([false, false, true], 1, 2, 1)).toBe(1)
  })

  it('moves one place when nothing is collapsed', () => {
    const none = levels.map(() => false)
    expect(movedSectionStart(none, 3, 4, 1)).toBe(4)
    expect(movedSectionStart(none, 3, 4, -1)).toBe(2)
  })
})

describe("JupyterLab's insert heading above / below (Shift+A, Shift+B)", () => {
  it('reads the level of the section a cell is in: its own, else the nearest heading above', () => {
    expect(sectionLevel(levels, 2)).toBe(2)
    expect(sectionLevel(levels, 4)).toBe(2)
    expect(sectionLevel(levels, 1)).toBe(1)
    expect(sectionLevel([0, 0, 3], 1)).toBe(-1)
  })

  it('puts a heading above the cell at its section’s level', () => {
    expect(headingInsertion(levels, 2, 'above')).toEqual({ at: 2, level: 2 })
    expect(headingInsertion(levels, 6, 'above')).toEqual({ at: 6, level: 2 })
    expect(headingInsertion(levels, 0, 'above')).toEqual({ at: 0, level: 1 })
  })

  it('puts a level 1 heading at the top when no heading holds the cell', () => {
    expect(headingInsertion([0, 0, 2, 0], 1, 'above')).toEqual({ at: 0, level: 1 })
  })

  it('puts a heading below at the end of the section: before the next heading of its level or higher', () => {
    expect(headingInsertion(levels, 2, 'below')).toEqual({ at: 5, level: 2 })
    expect(headingInsertion(levels, 3, 'below')).toEqual({ at: 5, level: 2 })
    expect(headingInsertion(levels, 0, 'below')).toEqual({ at: 7, level: 1 })
    expect(headingInsertion(levels, 6, 'below')).toEqual({ at: 7, level: 2 })
  })

  it('at the notebook’s end when no such heading follows, level 1 when none holds the cell', () => {
    expect(headingInsertion(levels, 7, 'below')).toEqual({ at: 8, level: 1 })
    expect(headingInsertion([0, 0], 0, 'below')).toEqual({ at: 2, level: 1 })
    expect(headingInsertion([0, 3, 0], 0, 'below')).toEqual({ at: 3, level: 1 })
  })
})
