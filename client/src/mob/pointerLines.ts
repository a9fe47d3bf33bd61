/** The lines people point at, highlighted inside a cell's editor in the pointer's color. */

import { type Extension, RangeSetBuilder, StateEffect } from '@codemirror/state'
import { Decoration, type DecorationSet, type EditorView, ViewPlugin, type ViewUpdate } from '@codemirror/view'
import type { Awareness } from 'y-protocols/awareness'

import type { AwarenessState } from '../panels/presence'
import { pointersFrom } from './pointers'

const pointersChanged = StateEffect.define<null>()

export function pointerLines(awareness: Awareness, cellId: () => string): Extension {
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet
      private frame = 0
      // Awareness changes can come in the middle of an editor update (our own cursor): the
      // redraw waits for the next frame.
      private readonly onChange = (): void => {
        if (this.frame !== 0) return
        this.frame = requestAnimationFrame(() => {
          this.frame = 0
          this.view.dispatch({ effects: pointersChanged.of(null) })
        })
      }

      constructor(readonly view: EditorView) {
        this.decorations = this.build()
        awareness.on('change', this.onChange)
      }

      update(update: ViewUpdate): void {
        if (update.docChanged || update.transactions.some((t) => t.effects.some((e) => e.is(pointersChanged)))) {
          this.decorations = this.build()
        }
      }

      destroy(): void {
        awareness.off('change', this.onChange)
        if (this.frame !== 0) cancelAnimationFrame(this.frame)
      }

      private build(): DecorationSet {
        const doc = this.view.state.doc
        const colors = new Map<number, string>()
        const id = cellId()
        for (const pointer of pointersFrom(awareness.getStates() as Map<number, AwarenessState>, awareness.clientID)) {
          if (pointer.cell !== id) continue
          for (let line = pointer.from; line <= Math.min(pointer.to, doc.lines); line++) colors.set(line, pointer.color)
        }
        const builder = new RangeSetBuilder<Decoration>()
        for (const line of [...colors.keys()].sort((a, b) => a - b)) {
          const start = doc.line(line).from
          builder.add(start, start, Decoration.line({ attributes: { class: 'cm-pointed-line', style: `--pointer:${colors.get(line) ?? '#6b7280'}` } }))
        }
        return builder.finish()
      }
    },
    { decorations: (plugin) => plugin.decorations }
  )
}
