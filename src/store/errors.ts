// The store's errors, in a file of their own so the engines' helpers can raise them without importing
// store.ts (which names the engines' types: that would be an import cycle).

/**
 * Raised when a row can never be stored as it is (larger than the database accepts in one
 * statement): sending it again will not help, unlike StoreUnavailableError.
 */
export class RowTooLargeError extends Error {
  override readonly name = 'RowTooLargeError';
}

/** Raised by engines when the database cannot be reached or did not answer in time. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
