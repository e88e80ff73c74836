import type { AddressInfo, Server } from 'node:net';

// Opening a listening socket with a start-up error that says which port and why.

export function listenOn(server: Server, host: string, port: number, what: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(describeListenError(err, host, port, what));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      const address = server.address();
      if (address !== null && typeof address === 'object') resolve(address);
      else reject(new Error(`${what} ${port} on ${host} has no address after listening`));
    });
  });
}

export function describeListenError(err: NodeJS.ErrnoException, host: string, port: number, what = 'MLLP port'): Error {
  const where = `${what} ${port} on ${host}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new Error(`${where} is already in use`, { cause: err });
    case 'EACCES':
      return new Error(`${where} needs privileges this process does not have (EACCES)`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new Error(`${where}: ${host} is not an address of this machine`, { cause: err });
    default:
      return new Error(`${where} could not be opened: ${err.message}`, { cause: err });
  }
}
