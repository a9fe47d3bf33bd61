/** The browser client's entry: find the person's token, who they are, and which page. */

import './style.css'

import { Api, ApiError, type Me } from './api'
import { button } from './dom'
import { showMessage } from './pages/chrome'
import { showJoinPage } from './pages/joinPage'
import { showListPage } from './pages/listPage'
import { showNotebookPage } from './pages/notebookPage'
import { notebookPathOf, replayPathOf, reviewPathOf } from './routes'
import { showReplayPage } from './replay/replayPage'
import { showReviewPage } from './review/reviewPage'
import { forgetToken, storeToken, takeToken } from './token'

async function boot(app: HTMLElement): Promise<void> {
  const taken = takeToken(location, history)
  let token = taken.token
  if (token === null) {
    showMessage(app, 'Open your pairbook link', 'pairbook needs the link it printed when it started (…/?token=…), or an invite link from the notebook’s owner.')
    return
  }
  const api = new Api(token)
  let me: Me
  try {
    me = await api.me()
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      forgetToken(taken.fromLink)
      showMessage(app, 'This link is not valid here', `${error.message}.`)
    } else {
      showMessage(app, 'The server cannot be reached', (error as Error).message, button('Try again', 'Try again', () => location.reload(), { class: 'btn primary' }))
    }
    return
  }
  if (me.invite) {
    const joined = await showJoinPage(app, api, token, me.role)
    token = joined.token
    api.useToken(token)
    me = { role: joined.role, user: joined.user, invite: false }
  }
  storeToken(token)
  const replayPath = replayPathOf(location.pathname)
  const reviewPath = reviewPathOf(location.pathname)
  const path = notebookPathOf(location.pathname)
  if (replayPath !== null) await showReplayPage({ app, api, me, token, path: replayPath })
  else if (reviewPath !== null) await showReviewPage({ app, api, me, token, path: reviewPath })
  else if (path === null) await showListPage(app, api, me)
  else showNotebookPage({ app, api, me, path })
}

const app = document.getElementById('app')
if (app !== null) void boot(app)
