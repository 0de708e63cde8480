import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app/App'
import { registerServiceWorker } from './sw/register'
import 'prosemirror-view/style/prosemirror.css'
import './styles/base.css'
import './styles/app.css'
import './styles/people.css'
import './styles/document.css'
// Last: its narrow-screen rules override the ones above.
import './styles/editor.css'

const root = document.getElementById('root')
if (root === null) throw new Error('index.html has no #root element')
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
)

if (import.meta.env.PROD) registerServiceWorker()
