/** Finding text in a cell's source and what a replacement makes of a match. Pure. */

export interface SearchQuery {
  text: string
  caseSensitive: boolean
  regexp: boolean
}

export interface Match {
  from: number
  to: number
}

/** Past this many matches in one cell the rest are not looked for (a pattern gone wild). */
export const MAX_MATCHES_PER_CELL = 5000

/** The query's regular expression, or a reason it is not valid (null: nothing to find). */
export function compileQuery(query: SearchQuery): RegExp | string | null {
  if (query.text === '') return null
  const flags = query.caseSensitive ? 'gu' : 'giu'
  if (!query.regexp) return new RegExp(query.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), flags)
  try {
    // ^ and $ are a line's start and end, as in an editor's search.
    return new RegExp(query.text, flags + 'm')
  } catch (error) {
    return error instanceof Error ? error.message : 'not a valid regular expression'
  }
}

/** Where `pattern` matches in `source`, in order, without empty matches. */
export function findMatches(source: string, pattern: RegExp): Match[] {
  const matches: Match[] = []
  pattern.lastIndex = 0
  for (const found of source.matchAll(pattern)) {
    if (found[0].length === 0) continue
    matches.push({ from: found.index, to: found.index + found[0].length })
    if (matches.length >= MAX_MATCHES_PER_CELL) break
  }
  return matches
}

/** What replaces the match in `source`: the replacement as typed, or with `$1`, `$&`...
 * expanded for a regular expression (as String.replace reads them, matched in place so
 * that anchors and lookarounds see the whole source). */
export function replacementFor(source: string, match: Match, pattern: RegExp, replacement: string, regexp: boolean): string {
  if (!regexp) return replacement
  const sticky = new RegExp(pattern.source, pattern.flags.replace('g', '') + 'y')
  sticky.lastIndex = match.from
  const replaced = source.replace(sticky, replacement)
  return replaced.slice(match.from, replaced.length - (source.length - match.to))
}

/** The edits that replace every match, last first, so that earlier offsets stay valid. */
export function replaceAllEdits(source: string, matches: readonly Match[], pattern: RegExp, replacement: string, regexp: boolean): Array<Match & { insert: string }> {
  return [...matches]
    .sort((a, b) => b.from - a.from)
    .map((m) => ({ ...m, insert: replacementFor(source, m, pattern, replacement, regexp) }))
}

/** The match to go to from `position` (a cell's index and an offset in it), forwards or
 * backwards, wrapping around; -1 when there are none. */
export function nearestMatch(matches: ReadonlyArray<{ cell: number; from: number }>, position: { cell: number; offset: number }, forward: boolean): number {
  if (matches.length === 0) return -1
  const after = (m: { cell: number; from: number }): boolean => m.cell > position.cell || (m.cell === position.cell && m.from >= position.offset)
  if (forward) {
    const index = matches.findIndex(after)
    return index === -1 ? 0 : index
  }
  for (let i = matches.length - 1; i >= 0; i--) if (!after(matches[i]!)) return i
  return matches.length - 1
}
