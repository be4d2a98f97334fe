// Form controls with a label, a hint and the reason a value is rejected,
// checked as the user types. Errors appear once the user has typed in or
// left the field, or when the form is submitted.
import { h, uniqueId } from './dom.js'
import type { Rule } from './rules.js'

export interface FieldOptions {
  label: string
  hint?: string
  rule?: Rule
  type?: 'text' | 'password' | 'url'
  value?: string
  placeholder?: string
  autocomplete?: string
  required?: boolean
  readonly?: boolean
  monospace?: boolean
  // Runs after every input, for fields whose rules depend on this one.
  onInput?: () => void
}

export interface TextField {
  readonly row: HTMLElement
  readonly input: HTMLInputElement
  value: string
  /** Checks the value; shows the reason when `show` is true or the user has touched the field. */
  check(show?: boolean): boolean
  setNote(text: string | undefined): void
  /** Sets the value and clears the touched state, so no error shows until the next input. */
  reset(value?: string): void
  setHidden(hidden: boolean): void
}

export function textField(options: FieldOptions): TextField {
  const id = uniqueId('field')
  const hintId = `${id}-hint`
  const errorId = `${id}-error`
  const noteId = `${id}-note`
  let touched = false

  const input = h('input', {
    id,
    name: id,
    type: options.type ?? 'text',
    placeholder: options.placeholder,
    autocomplete: options.autocomplete ?? 'off',
    spellcheck: 'false',
    required: options.required ?? false,
    readonly: options.readonly ?? false,
    class: options.monospace === true ? 'mono' : undefined,
    'aria-describedby': `${hintId} ${noteId} ${errorId}`,
  })
  input.value = options.value ?? ''
  const error = h('p', { id: errorId, class: 'field-error', 'aria-live': 'polite' })
  const note = h('p', { id: noteId, class: 'field-note', hidden: true })
  const row = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, options.label),
    // The marker stays outside the label so the accessible name is the label alone, and `required` conveys the same to assistive technology.
    options.required === true ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null,
    input,
    h('p', { id: hintId, class: 'hint' }, options.hint ?? ''),
    note,
    error,
  )

  const field: TextField = {
    row,
    input,
    get value() {
      return input.value
    },
    set value(text: string) {
      input.value = text
      if (touched) field.check()
    },
    check(show = false) {
      if (show) touched = true
      if (row.hidden) return true
      const reason = options.rule?.(input.value)
      const visible = touched && reason !== undefined
      error.textContent = visible ? reason : ''
      input.setAttribute('aria-invalid', visible ? 'true' : 'false')
      row.classList.toggle('invalid', visible)
      return reason === undefined
    },
    setNote(text) {
      note.textContent = text ?? ''
      note.hidden = text === undefined
    },
    reset(value = '') {
      input.value = value
      touched = false
      field.check()
    },
    setHidden(hidden) {
      row.hidden = hidden
    },
  }

  input.addEventListener('input', () => {
    touched = true
    field.check()
    options.onInput?.()
  })
  input.addEventListener('blur', () => {
    if (input.value !== '') touched = true
    field.check()
  })
  return field
}

export interface Choice<T extends string> {
  value: T
  label: string
  hint?: string
}

export interface RadioGroup<T extends string> {
  readonly element: HTMLFieldSetElement
  value: T
}

/** Builds a fieldset of radio buttons. `onChange` runs when the user picks another option. */
export function radioGroup<T extends string>(legend: string, choices: Array<Choice<T>>, initial: T, onChange: (value: T) => void = () => undefined): RadioGroup<T> {
  const name = uniqueId('choice')
  const inputs = new Map<T, HTMLInputElement>()
  const element = h('fieldset', { class: 'choices' }, h('legend', {}, legend))

  for (const choice of choices) {
    const id = `${name}-${choice.value}`
    const hintId = choice.hint === undefined ? undefined : `${id}-hint`
    const input = h('input', { type: 'radio', id, name, value: choice.value, checked: choice.value === initial, 'aria-describedby': hintId, onchange: () => onChange(choice.value) })
    inputs.set(choice.value, input)
    element.appendChild(
      h(
        'div',
        { class: 'choice' },
        input,
        h('div', {}, h('label', { for: id, class: 'choice-label' }, choice.label), choice.hint === undefined ? null : h('span', { id: hintId, class: 'hint' }, choice.hint)),
      ),
    )
  }

  return {
    element,
    get value() {
      for (const [value, input] of inputs) if (input.checked) return value
      return initial
    },
    set value(value: T) {
      const input = inputs.get(value)
      if (input !== undefined) input.checked = true
    },
  }
}

/** Builds a select with fixed options, for choices that have a single value today. */
export function selectField(label: string, options: Array<{ value: string; label: string }>, hint?: string): HTMLElement {
  const id = uniqueId('select')
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('select', { id, 'aria-describedby': hint === undefined ? undefined : `${id}-hint` }, ...options.map((option) => h('option', { value: option.value }, option.label))),
    hint === undefined ? null : h('p', { id: `${id}-hint`, class: 'hint' }, hint),
  )
}
