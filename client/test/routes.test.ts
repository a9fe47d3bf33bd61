import { describe, expect, it } from 'vitest'

import { inviteLink } from '../src/panels/inviteDialog'
import { newNotebookPath, notebookHref, notebookPathOf, roomName } from '../src/routes'

describe('routes', () => {
  it('escapes each path segment and keeps the slashes', () => {
    expect(roomName('team/my notes #1.ipynb')).toBe('team/my%20notes%20%231.ipynb')
    expect(notebookHref('a b.ipynb')).toBe('/notebooks/a%20b.ipynb')
  })

  it('names a new notebook as the server will: .ipynb added when missing', () => {
    expect(newNotebookPath(' analysis ')).toBe('analysis.ipynb')
    expect(newNotebookPath('team/analysis.ipynb')).toBe('team/analysis.ipynb')
  })

  it('reads the notebook path back from the URL', () => {
    expect(notebookPathOf('/notebooks/team/my%20notes%20%231.ipynb')).toBe('team/my notes #1.ipynb')
    expect(notebookPathOf('/')).toBeNull()
    expect(notebookPathOf('/notebooks/')).toBeNull()
    expect(notebookPathOf('/notebooks/%E0%A4%A')).toBeNull()
  })
})

describe('invite links', () => {
  it('point at the notebook they were made in', () => {
    expect(inviteLink('http://localhost:8888/?token=abc', 'dir/my nb.ipynb')).toBe('http://localhost:8888/notebooks/dir/my%20nb.ipynb?token=abc')
    expect(inviteLink('http://localhost:8888/?token=abc', null)).toBe('http://localhost:8888/?token=abc')
  })
})
