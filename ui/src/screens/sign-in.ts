// Sign-in: the admin token is checked with GET /v1/knocs and kept in
// sessionStorage, so it is gone when the tab closes.
import { ApiClient, ApiError, storeToken } from '../api.js'
import { h } from '../dom.js'
import { textField } from '../fields.js'
import { messageArea, screenHeading } from '../view.js'

export function renderSignIn(main: HTMLElement, notice: string | undefined, onSignedIn: (token: string) => void): void {
  const message = messageArea()
  const token = textField({
    label: 'Admin token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    monospace: true,
    hint: 'One of the adminTokens of the config, or the token in the admin-token file of the data folder. It stays in this browser tab only.',
    rule: (value) => {
      if (value.trim() === '') return 'Enter the admin token.'
      if (/\s/.test(value.trim())) return 'A token has no spaces or line breaks; paste it again.'
      return undefined
    },
  })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in')

  const form = h('form', { class: 'narrow', novalidate: true, 'aria-labelledby': 'sign-in-heading' }, token.row, h('div', { class: 'actions' }, submit), message.element)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (!token.check(true)) {
      token.input.focus()
      return
    }
    submit.disabled = true
    message.show('Checking the token…')
    const candidate = new ApiClient(token.value.trim())
    try {
      await candidate.json('GET', '/v1/knocs')
      storeToken(token.value.trim())
      onSignedIn(token.value.trim())
    } catch (error) {
      // The server's message names the CLI's sources of a token; in the
      // browser, say where an admin gets one.
      if (error instanceof ApiError && error.code === 'KNL_AUTH_INVALID') {
        message.show('Sign-in failed: this admin token is not valid. Use a token from adminTokens in the knocklist config, the admin-token file in its data folder, or one made with knocklist token create. (KNL_AUTH_INVALID)', 'error')
      } else {
        message.showError('Sign-in failed', error)
      }
      token.input.focus()
      token.input.select()
    } finally {
      submit.disabled = false
    }
  })

  const heading = screenHeading('Sign in')
  heading.querySelector('h1')?.setAttribute('id', 'sign-in-heading')
  main.replaceChildren(heading, notice === undefined ? '' : h('p', { class: 'message message-info' }, notice), form)
  token.input.focus()
}
