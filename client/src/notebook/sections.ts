/** A heading's section, as JupyterLab 4 counts it: the cells a collapsed heading takes along
 * when it is moved, deleted or run, and where JupyterLab's "insert heading above / below"
 * (Shift+A, Shift+B) puts a new heading. Pure: cells are given as their heading levels (0 for
 * a cell that is no heading) or as whether a collapsed heading hides them. */

/** The last index of the block from `last` on that goes with it: the cells a collapsed heading
 * at `last` hides (hidden cells follow the heading that hides them, nothing between). */
export function sectionEnd(hidden: readonly boolean[], last: number): number {
  let end = last
  while (end + 1 < hidden.length && hidden[end + 1] === true) end++
  return end
}

/** Where the block of shown cells `first`…`last` (its hidden cells included) starts after a
 * move one place up or down: past the whole shown neighbour, the cells a collapsed one hides
 * included, so that a move never drops a block into a collapsed section. `first` when it
 * cannot move. */
export function movedSectionStart(hidden: readonly boolean[], first: number, last: number, step: -1 | 1): number {
  if (step === 1) {
    if (last + 1 >= hidden.length) return first
    return first + sectionEnd(hidden, last + 1) - last
  }
  let above = first - 1
  while (above >= 0 && hidden[above] === true) above--
  return above < 0 ? first : above
}

/** The heading level that holds the cell at `index`: its own, or the nearest heading's above
 * it; -1 when no heading is at or above it (JupyterLab's `determineHeadingLevel`). */
export function sectionLevel(levels: readonly number[], index: number): number {
  for (let at = index; at >= 0; at--) if ((levels[at] ?? 0) > 0) return levels[at]!
  return -1
}

/** Where JupyterLab's Shift+A and Shift+B put a new heading, and its level (1 to 6). Above:
 * just above the cell, at the level of the section it is in (above the first cell, at level
 * 1, when no heading holds it). Below: at the end of the cell's section, before the next
 * heading of that level or higher (the notebook's end when there is none). */
export function headingInsertion(levels: readonly number[], index: number, where: 'above' | 'below'): { at: number; level: number } {
  const level = sectionLevel(levels, index)
  if (where === 'above') return level < 0 ? { at: 0, level: 1 } : { at: index, level: Math.min(level, 6) }
  const own = level < 0 ? 1 : Math.min(level, 6)
  for (let at = index + 1; at < levels.length; at++) if (levels[at]! > 0 && levels[at]! <= own) return { at, level: own }
  return { at: levels.length, level: own }
}
