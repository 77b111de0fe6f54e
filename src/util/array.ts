/**
 * Emptying reused arrays without giving up their room. `a.length = 0` makes V8 drop the array's
 * backing store, so the next push allocates a new one (about 150 bytes for a few elements): a
 * reused array emptied that way allocates on every reuse. Popping keeps the store (V8 trims only
 * stores far larger than what is left), and costs what the pushes that filled it did.
 */
export function emptyKeepingRoom(a: unknown[]): void {
  while (a.length > 0) a.pop();
}
