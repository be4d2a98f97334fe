// RouterOS setup: the setup script of passive knocs from
// GET /v1/knocs/{knoc}/routeros/setup.rsc, and the firewall filter rules the
// admin adds once, for IPv4 and IPv6.
import { copyText, h, uniqueId } from '../dom.js'
import { textField } from '../fields.js'
import { filterRule, type Family, type FilterChain } from '../firewall-rule.js'
import { pollsFeed, type KnocView } from '../types.js'
import { messageArea, type MessageArea, type View } from '../view.js'

// A read-only code block with a button that copies its text. `label` names
// the content in lower case after its first word, as in "IPv4 rule".
function copyBlock(label: string, text: string, message: MessageArea, id: string, wrapLines = false): HTMLElement {
  const pre = h('pre', { id, class: wrapLines ? 'code-block wrap-lines' : 'code-block', tabindex: '0', 'aria-label': label }, text)
  const copy = async () => {
    try {
      await copyText(pre.textContent ?? '')
      message.show(`Copied the ${label} to the clipboard.`, 'success')
    } catch (error) {
      message.showError(`Copying the ${label} failed`, error)
    }
  }
  const button = h('button', { type: 'button', 'aria-describedby': id, onclick: () => void copy() }, `Copy ${label}`)
  return h('div', { class: 'copy-block' }, pre, h('div', { class: 'actions' }, button))
}

export async function setupTab(view: View, knoc: KnocView, panel: HTMLElement): Promise<void> {
  const message = messageArea()
  const scriptArea = h('div', {})
  const rulesArea = h('div', {})
  panel.replaceChildren()

  if (pollsFeed(knoc.mode)) {
    panel.append(
      h('h2', {}, 'Setup script'),
      h('p', {}, 'Paste this script into the RouterOS terminal (RouterOS 7.9 or newer) once. It installs the importer script and the schedulers that poll the feed every ', h('code', {}, knoc.feed.pollInterval), '. Running it again replaces the earlier install.'),
      message.element,
      scriptArea,
    )
    scriptArea.append(h('p', { class: 'hint' }, 'Loading the setup script…'))
    try {
      const script = await view.api.text(`/v1/knocs/${encodeURIComponent(knoc.name)}/routeros/setup.rsc`)
      scriptArea.replaceChildren(
        h('p', { class: 'warning' }, 'The script contains the feed password: paste it only into the router, and do not share it.'),
        copyBlock('setup script', script, message, 'setup-script'),
      )
    } catch (error) {
      scriptArea.replaceChildren()
      message.showError('The setup script is not available', error)
    }
  }

  const chain = h(
    'select',
    { id: uniqueId('chain'), 'aria-describedby': 'chain-hint' },
    h('option', { value: 'input' }, 'input: services on the router itself'),
    h('option', { value: 'forward' }, 'forward: hosts behind the router'),
  )
  const port = textField({
    label: 'TCP port (optional)',
    hint: 'Narrows the rule to one service, such as 22 for SSH; empty accepts everything from granted addresses.',
    rule: (value) => (value === '' || (/^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 65535) ? undefined : 'Enter a port from 1 to 65535, or leave it empty.'),
    onInput: () => renderRules(),
  })
  const rulesMessage = messageArea()

  function renderRules(): void {
    // An invalid port must not fall back to a rule for every port: that
    // rule would let granted addresses reach everything.
    if (!port.check()) {
      rulesArea.replaceChildren(h('p', { class: 'hint', 'data-rules-hidden': '' }, 'Fix the TCP port above to see the rules.'))
      return
    }
    const dstPortText = port.value !== '' ? port.value : undefined
    const options = { knoc: knoc.name, addressList: knoc.addressList, chain: chain.value as FilterChain, ...(dstPortText === undefined ? {} : { dstPort: Number(dstPortText) }) }
    const block = (family: Family, label: string) => h('div', {}, h('h3', {}, label), copyBlock(`${label} rule`, filterRule({ ...options, family }), rulesMessage, `filter-rule-${family}`, true))
    rulesArea.replaceChildren(block('ipv4', 'IPv4'), block('ipv6', 'IPv6'))
  }
  chain.addEventListener('change', renderRules)

  panel.append(
    h('h2', {}, 'Firewall filter rule'),
    h(
      'p',
      {},
      'knocklist fills the address list ',
      h('code', {}, knoc.addressList),
      '; a filter rule must accept traffic from it, above the rule that drops everything else. Add it once for each address family you use.',
    ),
    h('div', { class: 'field' }, h('label', { for: chain.id }, 'Chain'), chain, h('p', { id: 'chain-hint', class: 'hint' }, 'Use input to protect a service of the router, such as SSH or WinBox; forward for a host behind it.')),
    port.row,
    rulesMessage.element,
    rulesArea,
    h(
      'p',
      { class: 'hint' },
      'The rule is placed before the first enabled drop rule of the chain. Without one the command fails; then leave out place-before=… and move the rule with ',
      h('code', {}, '/ip firewall filter move'),
      '. Check the order afterwards with ',
      h('code', {}, '/ip firewall filter print'),
      ': the rule must sit above the drop rules but may stay below the rules that accept established connections.',
    ),
  )
  renderRules()
}
