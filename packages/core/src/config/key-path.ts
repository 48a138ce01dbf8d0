/**
 * Key paths as error messages show them: `endpoints[2].url`, `filter["data.amount"].$gt`. One spelling everywhere
 * so a user can find the key the message names.
 */
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function appendKey(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path === "" ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

export function appendIndex(path: string, index: number): string {
  return `${path}[${index}]`;
}
