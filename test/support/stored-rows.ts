import type { MessageFilter, Store, StoredMessage } from '../../src/store/store.ts';

// Lists return rows without their blobs (MessageSummary); tests that check the stored bytes read each
// listed row whole, as the operations API's single-message read does.

export async function fullRows(store: Store | null | undefined, filter: MessageFilter = {}): Promise<StoredMessage[]> {
  if (store === null || store === undefined) return [];
  const listed = await store.listMessages(filter);
  const rows = await Promise.all(listed.map((row) => store.getMessage(row.id)));
  return rows.filter((row): row is StoredMessage => row !== null);
}
