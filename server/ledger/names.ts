// GitHub compares owner/name and environment names without regard to case. The ledger's identity
// is the folded name: ASCII letters lowered, everything else kept, exactly as the database folds
// them (`lower(name COLLATE "C")`, the generated `repository_key` and `environment_key` columns).

/** The key a repository or environment name is compared by. */
export function foldName(name: string): string {
  return name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** Whether two spellings name the same repository or environment. */
export function sameName(a: string, b: string): boolean {
  return foldName(a) === foldName(b);
}

/** Whether `name` is one of `names`, compared as GitHub compares them. */
export function includesName(names: readonly string[], name: string): boolean {
  const key = foldName(name);
  return names.some((candidate) => foldName(candidate) === key);
}
