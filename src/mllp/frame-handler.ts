// What the MLLP door hands over and gets back, per frame, and the totals it keeps. Its own module so
// that the server, its connections and the pipeline share these types without importing each other.

export type FrameSource = {
  remoteAddress: string;
  remotePort: number;
  connectionId: number;
  /** Subject of the verified client certificate (src/net/cert-subject.ts form); null without one. */
  tlsClientSubject?: string | null;
};

export type InboundFrame = { kind: 'message'; payload: Buffer } | { kind: 'oversize'; head: Buffer; bytes: number };

/** The unframed answer payload, or null to send nothing. */
export type FrameReply = { reply: Buffer | null };

/** Resolves only once the frame is durably handled; its reply is then written, in arrival order. */
export type FrameHandler = (frame: InboundFrame, source: FrameSource) => Promise<FrameReply>;

export type MllpCounters = {
  connectionsOpened: number;
  connectionsRefused: number;
  /** Closed at accept: the peer's address is not in mllp.allow. */
  connectionsDenied: number;
  tlsHandshakeFailures: number;
  framesReceived: number;
  junkBytes: number;
  junkRuns: number;
  oversizeFrames: number;
  frameTimeouts: number;
  idleTimeouts: number;
  handlerFailures: number;
  repliesSent: number;
};

export function createMllpCounters(): MllpCounters {
  return {
    connectionsOpened: 0,
    connectionsRefused: 0,
    connectionsDenied: 0,
    tlsHandshakeFailures: 0,
    framesReceived: 0,
    junkBytes: 0,
    junkRuns: 0,
    oversizeFrames: 0,
    frameTimeouts: 0,
    idleTimeouts: 0,
    handlerFailures: 0,
    repliesSent: 0,
  };
}
