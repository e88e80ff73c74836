import { BlockList, isIPv4, isIPv6 } from 'node:net';

// Peer allow-lists (`mllp.allow`, `https.allow`) and the `cidr` of identity rules, on node:net's
// BlockList so IPv4, IPv6 and IPv4-mapped IPv6 (::ffff:10.0.0.1) are matched by Node itself.

/** true when the address is inside one of the blocks. */
export type AddressMatcher = (address: string) => boolean;

/** Absent or empty list: every address matches. Entries were validated by the config schema. */
export function createAddressMatcher(entries: readonly string[] | undefined): AddressMatcher {
  if (entries === undefined || entries.length === 0) return () => true;
  const list = new BlockList();
  for (const entry of entries) addEntry(list, entry);
  return (address) => {
    const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
    if (isIPv4(plain)) return list.check(plain, 'ipv4');
    if (isIPv6(plain)) return list.check(plain, 'ipv6');
    return false;
  };
}

function addEntry(list: BlockList, entry: string): void {
  const [address = '', prefix] = entry.split('/');
  const type = isIPv6(address) ? 'ipv6' : 'ipv4';
  if (!isIPv4(address) && !isIPv6(address)) throw new Error(`not an IP address: ${entry}`);
  if (prefix === undefined) list.addAddress(address, type);
  else list.addSubnet(address, Number(prefix), type);
}
