// The comment that marks an address-list entry as knocklist's. Reconcile
// removes only entries that carry the tag of their own knoc, so an admin's
// static entries, other tools' entries and DNS children are never touched.

// RouterOS accepts long comments, but a short one stays readable in WinBox.
const maxCommentLength = 200

export function managedTag(knoc: string): string {
  return `knocklist:${knoc}`
}

// Builds the comment for an entry: the tag, then the users behind the address.
export function entryComment(knoc: string, users: readonly string[]): string {
  const tag = managedTag(knoc)
  if (users.length === 0) return tag
  const text = `${tag} ${users.join(',')}`
  return text.length <= maxCommentLength ? text : `${text.slice(0, maxCommentLength - 3)}...`
}

export function isManagedComment(comment: string | undefined, knoc: string): boolean {
  if (comment === undefined) return false
  const tag = managedTag(knoc)
  return comment === tag || comment.startsWith(`${tag} `)
}
