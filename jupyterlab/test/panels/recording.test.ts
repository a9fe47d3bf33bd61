import { describe, expect, it } from 'vitest'

import { recordingView } from '../../src/panels/recording'

describe('recording indicator', () => {
  it('says the room is recorded and links its replay on the pairbook server', () => {
    const view = recordingView({ on: true, by: 'ana', at: 1 }, 'http://127.0.0.1:8888/', 'work/My notebook.ipynb')
    expect(view.on).toBe(true)
    expect(view.text).toBe('● Recording')
    expect(view.replayUrl).toBe('http://127.0.0.1:8888/replay/work/My%20notebook.ipynb')
  })

  it('reads an empty map as recorded, and says when recording is off', () => {
    expect(recordingView(undefined, 'https://pb.example', 'a.ipynb').on).toBe(true)
    const off = recordingView({ on: false }, 'https://pb.example', 'a.ipynb')
    expect(off.text).toBe('○ Not recording')
    expect(off.replayUrl).toBe('https://pb.example/replay/a.ipynb')
  })
})
